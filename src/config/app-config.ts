import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { envSchema, type Env } from './config.schema.js';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * The one typed configuration, built once at boot from the environment. It is also the
 * injection token: services ask for `AppConfig` and read typed fields, never process.env.
 */
export class AppConfig {
  readonly env: Env['NODE_ENV'];
  readonly isProduction: boolean;
  readonly host: string;
  readonly port: number;
  readonly logLevel: Env['LOG_LEVEL'];
  readonly database: {
    /** Undefined until the embedded server is up when DATABASE_URL is not set. */
    url: string | undefined;
    /**
     * The primary without a pooler in between (DATABASE_DIRECT_URL, else `url`): migrations and
     * the database roles command, which need a session of their own, connect here.
     */
    directUrl: string | undefined;
    /**
     * `url` and the replica URLs lead to a transaction-mode pooler: a connection is one
     * transaction's, so the API's pools send no session setting when they open.
     */
    transactionPooling: boolean;
    replicaUrls: string[];
    /** A replica further behind the primary than this is skipped. */
    replicaMaxLagMs: number;
    replicaCheckIntervalMs: number;
    poolMin: number;
    poolMax: number;
    connectTimeoutMs: number;
    idleTimeoutMs: number;
    statementTimeoutMs: number;
    embedded: { port: number; dir: string };
  };
  readonly redis: {
    /** Without sentinels, the server; with them, only its user, password and database. */
    url: string | undefined;
    /** Set when the primary is found through Redis Sentinel (REDIS_SENTINELS). */
    sentinel:
      { nodes: { host: string; port: number }[]; name: string; password?: string } | undefined;
    keyPrefix: string;
    pingIntervalMs: number;
    socketTimeoutMs: number;
  };
  readonly auth: {
    issuer: string;
    audience: string;
    refreshReuseGraceSeconds: number;
    passwordResetTtlSeconds: number;
    argon2: { memoryCost: number; timeCost: number; parallelism: number };
    login: { maxFailuresPerEmail: number; maxFailuresPerIp: number; lockSeconds: number };
    /** Sensitive actions need an authentication at most this old (or the password again). */
    stepUpMaxAgeSeconds: number;
    mfa: {
      /** Admin routes refuse a session that did not use a second factor or a passkey. */
      requireForAdmins: boolean;
      /** The key TOTP secrets are encrypted with: MFA_ENCRYPTION_KEY, else JWT_SECRET. */
      encryptionSecret: string;
      /** The issuer authenticator apps show beside the account. */
      issuer: string;
    };
  };
  readonly jwt: {
    secret: string;
    secretGenerated: boolean;
    accessTtlSeconds: number;
    refreshTtlSeconds: number;
  };
  readonly frontendUrl: string;
  readonly allowedOrigins: string[];
  /** Passkeys (WebAuthn): the relying party that credentials are bound to. */
  /** OpenID Connect providers for social sign-in, by id (OIDC_PROVIDERS). */
  readonly oidc: OidcProviderConfig[];
  readonly webauthn: {
    rpId: string;
    rpName: string;
    /** Where the browser may run a ceremony (the clientDataJSON origin). */
    origins: string[];
    challengeTtlSeconds: number;
  };
  readonly stripe: {
    secretKey: string | undefined;
    webhookSecret: string | undefined;
    apiBase: string | undefined;
    pastDueGraceDays: number;
    deleteCustomerOnErasure: boolean;
    /** Checkout shows Stripe's promotion code field. */
    allowPromotionCodes: boolean;
    /** Stripe Tax: checkout collects the billing address and Stripe adds the tax. */
    automaticTax: boolean;
    /** A downgrade waits for the end of the paid period (a subscription schedule). */
    downgradeAtPeriodEnd: boolean;
    /** Days of trial on a customer's first paid plan; 0: no trial. */
    trialDays: number;
    prices: {
      proMonthly: string | undefined;
      proYearly: string | undefined;
      businessMonthly: string | undefined;
      businessYearly: string | undefined;
    };
  };
  readonly rateLimit: { enabled: boolean; windowMs: number; max: number };
  readonly trustProxy: number | string[] | false;
  readonly bodyLimit: number;
  readonly mail: {
    smtpUrl: string | undefined;
    from: string;
    /** Attempts after the first, spaced by retryDelaySeconds doubled each time (with jitter). */
    retryLimit: number;
    retryDelaySeconds: number;
    pollIntervalMs: number;
  };
  readonly metricsToken: string | undefined;
  readonly activity: {
    flushMs: number;
    flushSize: number;
    bufferMax: number;
    retentionDays: number;
  };
  readonly shutdownDrainMs: number;
  readonly healthCheckTimeoutMs: number;

  constructor(env: Env, oidc: OidcProviderConfig[] = []) {
    this.oidc = oidc;
    this.env = env.NODE_ENV;
    this.isProduction = env.NODE_ENV === 'production';
    this.host = env.HOST;
    this.port = env.PORT;
    this.logLevel = env.LOG_LEVEL;
    this.database = {
      url: env.DATABASE_URL,
      directUrl: env.DATABASE_DIRECT_URL ?? env.DATABASE_URL,
      transactionPooling: env.DB_TRANSACTION_POOLING,
      replicaUrls: env.READ_REPLICA_URL,
      replicaMaxLagMs: env.REPLICA_MAX_LAG_MS,
      replicaCheckIntervalMs: env.REPLICA_CHECK_INTERVAL_MS,
      poolMin: env.DB_POOL_MIN,
      poolMax: env.DB_POOL_MAX,
      connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS,
      idleTimeoutMs: env.DB_IDLE_TIMEOUT_MS,
      statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
      embedded: { port: env.EMBEDDED_PG_PORT, dir: env.EMBEDDED_PG_DIR },
    };
    this.redis = {
      url: env.REDIS_URL,
      sentinel: env.REDIS_SENTINELS
        ? {
            nodes: env.REDIS_SENTINELS,
            name: env.REDIS_SENTINEL_NAME,
            password: env.REDIS_SENTINEL_PASSWORD,
          }
        : undefined,
      keyPrefix: env.REDIS_KEY_PREFIX,
      pingIntervalMs: env.REDIS_PING_INTERVAL_MS,
      socketTimeoutMs: env.REDIS_SOCKET_TIMEOUT_MS,
    };
    this.jwt = {
      // Outside production a missing secret gets a random one per process: tokens then do
      // not survive a restart, which is the safe failure for a development machine.
      secret: env.JWT_SECRET ?? randomBytes(48).toString('base64url'),
      secretGenerated: env.JWT_SECRET === undefined,
      accessTtlSeconds: env.JWT_ACCESS_TTL,
      refreshTtlSeconds: env.REFRESH_TOKEN_TTL,
    };
    this.auth = {
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      refreshReuseGraceSeconds: env.REFRESH_REUSE_GRACE_SECONDS,
      passwordResetTtlSeconds: env.PASSWORD_RESET_TTL,
      argon2: {
        memoryCost: env.ARGON2_MEMORY_KIB,
        timeCost: env.ARGON2_TIME_COST,
        parallelism: env.ARGON2_PARALLELISM,
      },
      login: {
        maxFailuresPerEmail: env.LOGIN_MAX_FAILURES_PER_EMAIL,
        maxFailuresPerIp: env.LOGIN_MAX_FAILURES_PER_IP,
        lockSeconds: env.LOGIN_LOCK_SECONDS,
      },
      stepUpMaxAgeSeconds: env.STEP_UP_MAX_AGE_SECONDS,
      mfa: {
        requireForAdmins: env.REQUIRE_ADMIN_MFA ?? this.isProduction,
        encryptionSecret: env.MFA_ENCRYPTION_KEY ?? this.jwt.secret,
        issuer: env.MFA_ISSUER,
      },
    };
    this.frontendUrl = (env.FRONTEND_URL ?? 'http://localhost:5173').replace(/\/$/, '');
    this.allowedOrigins = env.ALLOWED_ORIGINS ?? [new URL(this.frontendUrl).origin];
    this.webauthn = {
      rpId: env.WEBAUTHN_RP_ID ?? new URL(this.frontendUrl).hostname,
      rpName: env.WEBAUTHN_RP_NAME,
      origins: env.WEBAUTHN_ORIGINS ?? [new URL(this.frontendUrl).origin],
      challengeTtlSeconds: env.WEBAUTHN_CHALLENGE_TTL_SECONDS,
    };
    this.stripe = {
      secretKey: env.STRIPE_SECRET_KEY,
      webhookSecret: env.STRIPE_WEBHOOK_SECRET,
      apiBase: env.STRIPE_API_BASE,
      pastDueGraceDays: env.STRIPE_PAST_DUE_GRACE_DAYS,
      deleteCustomerOnErasure: env.STRIPE_DELETE_CUSTOMER_ON_ERASURE,
      allowPromotionCodes: env.STRIPE_ALLOW_PROMOTION_CODES,
      automaticTax: env.STRIPE_AUTOMATIC_TAX,
      downgradeAtPeriodEnd: env.STRIPE_DOWNGRADE_AT_PERIOD_END,
      trialDays: env.TRIAL_DAYS,
      prices: {
        proMonthly: env.STRIPE_PRICE_PRO_MONTHLY,
        proYearly: env.STRIPE_PRICE_PRO_YEARLY,
        businessMonthly: env.STRIPE_PRICE_BUSINESS_MONTHLY,
        businessYearly: env.STRIPE_PRICE_BUSINESS_YEARLY,
      },
    };
    this.rateLimit = {
      enabled: env.RATE_LIMIT_ENABLED,
      windowMs: env.RATE_LIMIT_WINDOW_MS,
      max: env.RATE_LIMIT_MAX_REQUESTS,
    };
    this.trustProxy = env.TRUST_PROXY ?? false;
    this.bodyLimit = env.BODY_LIMIT;
    this.mail = {
      smtpUrl: env.SMTP_URL,
      from: env.MAIL_FROM,
      retryLimit: env.MAIL_RETRY_LIMIT,
      retryDelaySeconds: env.MAIL_RETRY_DELAY_SECONDS,
      pollIntervalMs: env.MAIL_POLL_INTERVAL_MS,
    };
    this.metricsToken = env.METRICS_TOKEN;
    this.activity = {
      flushMs: env.ACTIVITY_FLUSH_MS,
      flushSize: env.ACTIVITY_FLUSH_SIZE,
      bufferMax: env.ACTIVITY_BUFFER_MAX,
      retentionDays: env.ACTIVITY_RETENTION_DAYS,
    };
    this.shutdownDrainMs = env.SHUTDOWN_DRAIN_MS;
    this.healthCheckTimeoutMs = env.HEALTH_CHECK_TIMEOUT_MS;
  }

  /** A copy pointing at another database, for the embedded server and for tests. */
  withDatabaseUrl(url: string): AppConfig {
    const copy = Object.create(AppConfig.prototype) as AppConfig;
    Object.assign(copy, this, { database: { ...this.database, url, directUrl: url } });
    return copy;
  }
}

/**
 * Validates the environment once. Empty values count as unset (compose files and CI
 * often export `FOO=`). The error is one line naming the first bad variable.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const env = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = issue.path.join('.') || 'environment';
    const message =
      issue.code === 'invalid_value' || issue.code === 'invalid_type'
        ? `has an invalid value (${issue.message})`
        : issue.message;
    throw new ConfigError(`Invalid configuration: ${name} ${message}`);
  }
  return new AppConfig(result.data, oidcProviders(result.data, env));
}

/** One social sign-in provider: an OpenID Connect issuer and this service's client there. */
export interface OidcProviderConfig {
  /** The name in OIDC_PROVIDERS, and in the routes (/auth/oidc/:provider). */
  id: string;
  /** What the sign-in button says. */
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
}

const KNOWN_PROVIDER_NAMES: Record<string, string> = { google: 'Google', microsoft: 'Microsoft' };

/**
 * The variables of each provider in OIDC_PROVIDERS: OIDC_<NAME>_ISSUER (an https URL; http
 * only outside production, for a provider on loopback), _CLIENT_ID and _CLIENT_SECRET, and an
 * optional _NAME for the button.
 */
function oidcProviders(env: Env, source: Record<string, string | undefined>): OidcProviderConfig[] {
  return env.OIDC_PROVIDERS.map((id) => {
    const prefix = `OIDC_${id.toUpperCase()}_`;
    const read = (suffix: string): string => {
      const value = source[prefix + suffix]?.trim();
      if (!value) {
        throw new ConfigError(
          `Invalid configuration: ${prefix}${suffix} is required for the provider "${id}" in OIDC_PROVIDERS`,
        );
      }
      return value;
    };
    const issuer = read('ISSUER');
    const secure = /^https:\/\//.test(issuer);
    if (
      !URL.canParse(issuer) ||
      !(secure || (/^http:\/\//.test(issuer) && env.NODE_ENV !== 'production'))
    ) {
      throw new ConfigError(
        `Invalid configuration: ${prefix}ISSUER must be an https URL (http only outside production)`,
      );
    }
    return {
      id,
      name: source[prefix + 'NAME']?.trim() || KNOWN_PROVIDER_NAMES[id] || id,
      issuer,
      clientId: read('CLIENT_ID'),
      clientSecret: read('CLIENT_SECRET'),
    };
  });
}

/**
 * Reads ./.env into process.env when the file exists (variables already set win), so a
 * developer's local settings apply to `npm start` and the migration CLI alike.
 */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
