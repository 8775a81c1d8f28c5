import { isIP } from 'node:net';
import { z } from 'zod';

const DURATION = /^(\d+)\s*(ms|s|m|h|d)?$/;
const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const SIZE = /^(\d+)\s*(b|kb|mb)?$/i;
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };

/** "900", "15m", "30d" -> seconds (a bare number is seconds). */
export function parseDurationSeconds(value: string): number | undefined {
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  const unit = match[2] ?? 's';
  const ms = Number(match[1]) * DURATION_UNITS[unit];
  return ms >= 1000 ? Math.floor(ms / 1000) : undefined;
}

export function parseByteSize(value: string): number | undefined {
  const match = SIZE.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * SIZE_UNITS[(match[2] ?? 'b').toLowerCase()];
}

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const duration = z.string().transform((value, ctx) => {
  const seconds = parseDurationSeconds(value);
  if (seconds === undefined || seconds < 1) {
    ctx.addIssue({ code: 'custom', message: 'must be a duration such as 900, 15m, 12h or 30d' });
    return z.NEVER;
  }
  return seconds;
});

const postgresUrl = z
  .string()
  .trim()
  .refine((value) => /^postgres(ql)?:\/\//.test(value) && URL.canParse(value), {
    message: 'must be a postgres:// or postgresql:// URL',
  });

const origin = (value: string) => {
  if (!URL.canParse(value)) return undefined;
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return url.origin === value.replace(/\/$/, '') ? url.origin : undefined;
};

const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/**
 * TRUST_PROXY: a hop count ("1") or a list of addresses / CIDR ranges that are trusted
 * to set X-Forwarded-For. "true" is refused: trusting every hop lets any client choose
 * its own address and so its own rate-limit bucket.
 */
const trustProxy = z.string().transform((value, ctx): number | string[] => {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const entries = list(trimmed);
  const valid = entries.every((entry) => {
    const [address, bits, extra] = entry.split('/');
    if (extra !== undefined || !isIP(address)) return false;
    if (bits === undefined) return true;
    const max = isIP(address) === 4 ? 32 : 128;
    return /^\d+$/.test(bits) && Number(bits) <= max;
  });
  if (!valid || entries.length === 0) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be a hop count or a comma-separated list of IP addresses / CIDR ranges',
    });
    return z.NEVER;
  }
  return entries;
});

/** "host:port" or "[ipv6]:port" -> { host, port }; undefined when it is neither. */
const sentinelNode = (entry: string): { host: string; port: number } | undefined => {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(entry);
  if (!match) return undefined;
  const host = match[1] ?? match[2];
  const port = Number(match[3]);
  if (match[1] !== undefined && isIP(host) !== 6) return undefined;
  return port >= 1 && port <= 65535 ? { host, port } : undefined;
};

const optionalString = z
  .string()
  .trim()
  .transform((value) => value || undefined)
  .optional();

export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    HOST: z.string().trim().min(1).default('0.0.0.0'),
    PORT: int(0, 65535).default(3000),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),

    DATABASE_URL: postgresUrl.optional(),
    // The primary without a pooler in between, for what needs a session of its own: migrations
    // and the database roles command. Unset: DATABASE_URL.
    DATABASE_DIRECT_URL: postgresUrl.optional(),
    // DATABASE_URL and READ_REPLICA_URL lead to a transaction-mode pooler (PgBouncer): the API's
    // connections then send no session setting (statement_timeout) when they open.
    DB_TRANSACTION_POOLING: z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .transform((value) => value === 'true')
      .default(false),
    READ_REPLICA_URL: z.string().transform(list).pipe(z.array(postgresUrl)).default([]),
    REPLICA_MAX_LAG_MS: int(0, 3_600_000).default(5000),
    REPLICA_CHECK_INTERVAL_MS: int(100, 60_000).default(1000),
    DB_POOL_MIN: int(0, 1000).default(5),
    DB_POOL_MAX: int(1, 1000).default(20),
    DB_CONNECT_TIMEOUT_MS: int(100, 60_000).default(3000),
    DB_IDLE_TIMEOUT_MS: int(1000, 3_600_000).default(10_000),
    DB_STATEMENT_TIMEOUT_MS: int(100, 3_600_000).default(15_000),
    EMBEDDED_PG_PORT: int(1, 65535).default(54329),
    EMBEDDED_PG_DIR: z.string().trim().min(1).default('.data/pg'),

    REDIS_URL: z
      .string()
      .trim()
      .refine((value) => /^rediss?:\/\//.test(value) && URL.canParse(value), {
        message: 'must be a redis:// or rediss:// URL',
      })
      .optional(),
    // Sentinel mode: the primary's address comes from these sentinels (REDIS_URL then gives
    // only the data nodes' user, password and database number).
    REDIS_SENTINELS: z
      .string()
      .transform((value, ctx) => {
        const entries = list(value);
        const nodes = entries.map(sentinelNode);
        const invalid = entries.find((_, index) => nodes[index] === undefined);
        if (invalid !== undefined || entries.length === 0) {
          ctx.addIssue({
            code: 'custom',
            message: `"${invalid ?? value}" is not a host:port such as sentinel-1:26379`,
          });
          return z.NEVER;
        }
        return nodes as { host: string; port: number }[];
      })
      .optional(),
    REDIS_SENTINEL_NAME: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, ".", "_" or "-"')
      .default('mymaster'),
    REDIS_SENTINEL_PASSWORD: optionalString,
    REDIS_KEY_PREFIX: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9:_-]{1,64}$/, 'must be 1-64 letters, digits, ":", "_" or "-"')
      .default('insightsheet'),
    // node-redis's socket timeout closes a connection silent for that long (no byte either
    // way): with a PING more often than that, only a dead peer is silent so long.
    REDIS_PING_INTERVAL_MS: int(100, 60_000).default(2000),
    REDIS_SOCKET_TIMEOUT_MS: int(500, 600_000).default(5000),

    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    JWT_ACCESS_TTL: duration.default(900),
    REFRESH_TOKEN_TTL: duration.default(30 * 86_400),
    JWT_ISSUER: z.string().trim().min(1).default('insightsheet-api'),
    JWT_AUDIENCE: z.string().trim().min(1).default('insightsheet'),
    REFRESH_REUSE_GRACE_SECONDS: int(0, 60).default(5),
    PASSWORD_RESET_TTL: duration.pipe(z.number().max(3600, 'must be at most 1 hour')).default(3600),
    ARGON2_MEMORY_KIB: int(19_456, 4_194_304).default(19_456),
    ARGON2_TIME_COST: int(2, 100).default(2),
    ARGON2_PARALLELISM: int(1, 64).default(1),
    LOGIN_MAX_FAILURES_PER_EMAIL: int(1, 1000).default(5),
    LOGIN_MAX_FAILURES_PER_IP: int(1, 100_000).default(50),
    LOGIN_LOCK_SECONDS: int(1, 86_400).default(900),
    STEP_UP_MAX_AGE_SECONDS: int(30, 86_400).default(600),
    REQUIRE_ADMIN_MFA: z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .transform((value) => value === 'true')
      .optional(),
    MFA_ENCRYPTION_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
    MFA_ISSUER: z.string().trim().min(1).max(64).default('InsightSheet'),

    FRONTEND_URL: z
      .string()
      .trim()
      .refine((value) => URL.canParse(value) && /^https?:/.test(value), {
        message: 'must be an http(s) URL',
      })
      .optional(),
    ALLOWED_ORIGINS: z
      .string()
      .transform((value, ctx) => {
        const origins = list(value);
        const invalid = origins.find((item) => origin(item) === undefined);
        if (invalid !== undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `"${invalid}" is not an exact origin such as https://app.example.com ("*" and "null" are refused)`,
          });
          return z.NEVER;
        }
        return origins.map((item) => origin(item) as string);
      })
      .optional(),
    // Passkeys: the relying party is the web app (FRONTEND_URL) unless these say otherwise.
    WEBAUTHN_RP_ID: z
      .string()
      .trim()
      .toLowerCase()
      .regex(
        /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/,
        'must be a domain name such as app.example.com (no scheme, port or path)',
      )
      .optional(),
    WEBAUTHN_RP_NAME: z.string().trim().min(1).max(100).default('InsightSheet'),
    WEBAUTHN_ORIGINS: z
      .string()
      .transform((value, ctx) => {
        const origins = list(value);
        const invalid = origins.find((item) => origin(item) === undefined);
        if (invalid !== undefined || origins.length === 0) {
          ctx.addIssue({
            code: 'custom',
            message: `"${invalid ?? value}" is not an exact origin such as https://app.example.com`,
          });
          return z.NEVER;
        }
        return origins.map((item) => origin(item) as string);
      })
      .optional(),
    WEBAUTHN_CHALLENGE_TTL_SECONDS: int(10, 3600).default(300),
    // Each named provider reads OIDC_<NAME>_ISSUER, _CLIENT_ID, _CLIENT_SECRET and an optional
    // _NAME (checked in app-config.ts, as their names depend on this list).
    OIDC_PROVIDERS: z
      .string()
      .transform(list)
      .pipe(
        z.array(
          z.string().regex(/^[a-z][a-z0-9]{0,30}$/, 'must list lower-case names such as google'),
        ),
      )
      .default([]),

    STRIPE_SECRET_KEY: optionalString,
    STRIPE_WEBHOOK_SECRET: optionalString,
    STRIPE_PRICE_PRO_MONTHLY: optionalString,
    STRIPE_PRICE_PRO_YEARLY: optionalString,
    STRIPE_PRICE_BUSINESS_MONTHLY: optionalString,
    STRIPE_PRICE_BUSINESS_YEARLY: optionalString,
    STRIPE_API_BASE: z
      .string()
      .trim()
      .refine((value) => URL.canParse(value) && /^https?:/.test(value), {
        message: 'must be an http(s) URL',
      })
      .optional(),

    STRIPE_PAST_DUE_GRACE_DAYS: int(0, 60).default(7),
    STRIPE_DELETE_CUSTOMER_ON_ERASURE: z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .transform((value) => value === 'true')
      .default(true),
    STRIPE_ALLOW_PROMOTION_CODES: z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .transform((value) => value === 'true')
      .default(false),
    STRIPE_AUTOMATIC_TAX: z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .transform((value) => value === 'true')
      .default(false),
    STRIPE_DOWNGRADE_AT_PERIOD_END: z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .transform((value) => value === 'true')
      .default(true),
    TRIAL_DAYS: int(0, 730).default(0),

    RATE_LIMIT_ENABLED: z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .transform((value) => value === 'true')
      .default(true),
    RATE_LIMIT_WINDOW_MS: int(1000, 86_400_000).default(900_000),
    RATE_LIMIT_MAX_REQUESTS: int(1, 10_000_000).default(100),
    TRUST_PROXY: trustProxy.optional(),
    BODY_LIMIT: z
      .string()
      .transform((value, ctx) => {
        const bytes = parseByteSize(value);
        if (bytes === undefined || bytes < 1024 || bytes > 10 * 1024 * 1024) {
          ctx.addIssue({
            code: 'custom',
            message: 'must be a size between 1kb and 10mb, such as 100kb',
          });
          return z.NEVER;
        }
        return bytes;
      })
      .default(100 * 1024),

    SMTP_URL: z
      .string()
      .trim()
      .refine((value) => /^smtps?:\/\//.test(value) && URL.canParse(value), {
        message: 'must be an smtp:// or smtps:// URL',
      })
      .optional(),
    MAIL_FROM: z.string().trim().min(3).default('InsightSheet <no-reply@insightsheet.local>'),
    MAIL_RETRY_LIMIT: int(0, 20).default(8),
    MAIL_RETRY_DELAY_SECONDS: int(1, 3600).default(5),
    MAIL_POLL_INTERVAL_MS: int(500, 60_000).default(2000),
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    ACTIVITY_FLUSH_MS: int(0, 1000).default(5),
    ACTIVITY_FLUSH_SIZE: int(1, 10_000).default(500),
    ACTIVITY_BUFFER_MAX: int(10, 1_000_000).default(20_000),
    ACTIVITY_RETENTION_DAYS: int(1, 36_500).default(730),
    SHUTDOWN_DRAIN_MS: int(0, 120_000).default(5000),
    HEALTH_CHECK_TIMEOUT_MS: int(100, 10_000).default(1500),
  })
  .superRefine((env, ctx) => {
    if (env.DB_POOL_MIN > env.DB_POOL_MAX) {
      ctx.addIssue({
        code: 'custom',
        path: ['DB_POOL_MIN'],
        message: 'must not exceed DB_POOL_MAX',
      });
    }
    if (env.REDIS_SENTINELS && env.REDIS_URL?.startsWith('rediss://')) {
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_URL'],
        message: 'must be redis:// with REDIS_SENTINELS (TLS through Sentinel is not supported)',
      });
    }
    if (env.REDIS_SOCKET_TIMEOUT_MS < 2 * env.REDIS_PING_INTERVAL_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_SOCKET_TIMEOUT_MS'],
        message: 'must be at least twice REDIS_PING_INTERVAL_MS (an idle connection would close)',
      });
    }
    const frontendUrl = env.FRONTEND_URL ?? 'http://localhost:5173';
    const rpId = env.WEBAUTHN_RP_ID ?? new URL(frontendUrl).hostname;
    const webauthnOrigins = env.WEBAUTHN_ORIGINS ?? [new URL(frontendUrl).origin];
    const outside = webauthnOrigins.find((item) => {
      const host = new URL(item).hostname;
      return host !== rpId && !host.endsWith(`.${rpId}`);
    });
    if (outside !== undefined) {
      // A browser refuses a ceremony whose RP id is not the page's host or a parent of it.
      ctx.addIssue({
        code: 'custom',
        path: [env.WEBAUTHN_ORIGINS ? 'WEBAUTHN_ORIGINS' : 'WEBAUTHN_RP_ID'],
        message: `"${outside}" is not on the relying party's domain ${rpId} (WEBAUTHN_RP_ID)`,
      });
    }
    if (env.DATABASE_DIRECT_URL && !env.DATABASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DATABASE_DIRECT_URL'],
        message: 'needs DATABASE_URL (the embedded server has no pooler in front)',
      });
    }
    if (env.NODE_ENV === 'production') {
      if (!env.DATABASE_URL) {
        ctx.addIssue({
          code: 'custom',
          path: ['DATABASE_URL'],
          message: 'is required in production',
        });
      }
      if (!env.JWT_SECRET || env.JWT_SECRET.length < 64) {
        ctx.addIssue({
          code: 'custom',
          path: ['JWT_SECRET'],
          message: 'must be at least 64 characters in production',
        });
      }
      if (!env.FRONTEND_URL) {
        ctx.addIssue({
          code: 'custom',
          path: ['FRONTEND_URL'],
          message: 'is required in production',
        });
      }
    }
  });

export type Env = z.output<typeof envSchema>;
