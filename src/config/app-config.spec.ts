import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './app-config.js';
import { parseByteSize, parseDurationSeconds } from './config.schema.js';

const LONG_SECRET = 'x'.repeat(64);

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config.env).toBe('development');
    expect(config.port).toBe(3000);
    expect(config.database).toMatchObject({ url: undefined, poolMin: 5, poolMax: 20 });
    expect(config.rateLimit).toEqual({ enabled: true, windowMs: 900_000, max: 100 });
    expect(config.jwt.accessTtlSeconds).toBe(900);
    expect(config.jwt.refreshTtlSeconds).toBe(30 * 86_400);
    expect(config.bodyLimit).toBe(100 * 1024);
    expect(config.trustProxy).toBe(false);
    expect(config.allowedOrigins).toEqual(['http://localhost:5173']);
    expect(config.jwt.secretGenerated).toBe(true);
    expect(config.auth.stepUpMaxAgeSeconds).toBe(600);
    expect(config.auth.mfa.requireForAdmins).toBe(false);
    expect(config.auth.mfa.encryptionSecret).toBe(config.jwt.secret);
  });

  it('reads each OpenID provider of OIDC_PROVIDERS from its own variables', () => {
    const config = loadConfig({
      OIDC_PROVIDERS: 'google, acme',
      OIDC_GOOGLE_ISSUER: 'https://accounts.google.com',
      OIDC_GOOGLE_CLIENT_ID: 'google-client',
      OIDC_GOOGLE_CLIENT_SECRET: 'google-secret',
      OIDC_ACME_ISSUER: 'http://127.0.0.1:4000',
      OIDC_ACME_CLIENT_ID: 'acme-client',
      OIDC_ACME_CLIENT_SECRET: 'acme-secret',
      OIDC_ACME_NAME: 'Acme SSO',
    });
    expect(config.oidc).toEqual([
      {
        id: 'google',
        name: 'Google',
        issuer: 'https://accounts.google.com',
        clientId: 'google-client',
        clientSecret: 'google-secret',
      },
      {
        id: 'acme',
        name: 'Acme SSO',
        issuer: 'http://127.0.0.1:4000',
        clientId: 'acme-client',
        clientSecret: 'acme-secret',
      },
    ]);
    expect(loadConfig({}).oidc).toEqual([]);
  });

  it.each([
    [{ OIDC_PROVIDERS: 'Google' }, 'OIDC_PROVIDERS'],
    [{ OIDC_PROVIDERS: 'google' }, 'OIDC_GOOGLE_ISSUER'],
    [
      { OIDC_PROVIDERS: 'google', OIDC_GOOGLE_ISSUER: 'https://accounts.google.com' },
      'OIDC_GOOGLE_CLIENT_ID',
    ],
    [
      {
        OIDC_PROVIDERS: 'google',
        OIDC_GOOGLE_ISSUER: 'not a url',
        OIDC_GOOGLE_CLIENT_ID: 'id',
        OIDC_GOOGLE_CLIENT_SECRET: 'secret',
      },
      'OIDC_GOOGLE_ISSUER',
    ],
    [
      {
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://db/app',
        JWT_SECRET: 'x'.repeat(64),
        FRONTEND_URL: 'https://app.example.com',
        OIDC_PROVIDERS: 'acme',
        OIDC_ACME_ISSUER: 'http://idp.example.com',
        OIDC_ACME_CLIENT_ID: 'id',
        OIDC_ACME_CLIENT_SECRET: 'secret',
      },
      'OIDC_ACME_ISSUER',
    ],
  ])('stops on a bad or missing provider variable (%j)', (env, name) => {
    expect(() => loadConfig(env)).toThrow(name);
  });

  it('requires a second factor of admins in production unless told otherwise', () => {
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/app',
      JWT_SECRET: 'x'.repeat(64),
      FRONTEND_URL: 'https://app.example.com',
    };
    expect(loadConfig(production).auth.mfa.requireForAdmins).toBe(true);
    expect(
      loadConfig({ ...production, REQUIRE_ADMIN_MFA: 'false' }).auth.mfa.requireForAdmins,
    ).toBe(false);
    expect(loadConfig({ REQUIRE_ADMIN_MFA: 'true' }).auth.mfa.requireForAdmins).toBe(true);
    expect(loadConfig({ MFA_ENCRYPTION_KEY: 'k'.repeat(32) }).auth.mfa.encryptionSecret).toBe(
      'k'.repeat(32),
    );
  });

  it('reads Redis Sentinel settings, which take precedence over REDIS_URL', () => {
    expect(loadConfig({ REDIS_URL: 'redis://localhost:6379' }).redis.sentinel).toBeUndefined();
    const { redis } = loadConfig({
      REDIS_URL: 'redis://app:secret@ignored-host:6379/2',
      REDIS_SENTINELS: ' sentinel-1:26379, 10.0.0.2:26380,[::1]:26381 ',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
    });
    expect(redis.sentinel).toEqual({
      nodes: [
        { host: 'sentinel-1', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      name: 'mymaster',
      password: 'sentinel-secret',
    });
    expect(redis.url).toBe('redis://app:secret@ignored-host:6379/2');
    expect(
      loadConfig({ REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'cache-1' }).redis.sentinel
        ?.name,
    ).toBe('cache-1');
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ PORT: '', REDIS_URL: '' }).port).toBe(3000);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ REQUIRE_ADMIN_MFA: 'yes' }, 'REQUIRE_ADMIN_MFA'],
    [{ MFA_ENCRYPTION_KEY: 'short' }, 'MFA_ENCRYPTION_KEY'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://localhost/db' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'http://localhost:6379' }, 'REDIS_URL'],
    [{ JWT_ACCESS_TTL: 'soon' }, 'JWT_ACCESS_TTL'],
    [{ BODY_LIMIT: 'huge' }, 'BODY_LIMIT'],
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
    [{ ALLOWED_ORIGINS: '*' }, 'ALLOWED_ORIGINS'],
    [{ ALLOWED_ORIGINS: 'null' }, 'ALLOWED_ORIGINS'],
    [{ ALLOWED_ORIGINS: 'https://a.example/path' }, 'ALLOWED_ORIGINS'],
    [{ DB_POOL_MIN: '30', DB_POOL_MAX: '10' }, 'DB_POOL_MIN'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ RATE_LIMIT_ENABLED: 'yes' }, 'RATE_LIMIT_ENABLED'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ STEP_UP_MAX_AGE_SECONDS: '5' }, 'STEP_UP_MAX_AGE_SECONDS'],
    [{ WEBAUTHN_RP_ID: 'https://app.example.com' }, 'WEBAUTHN_RP_ID'],
    [{ WEBAUTHN_RP_ID: 'example.com:443' }, 'WEBAUTHN_RP_ID'],
    [{ WEBAUTHN_ORIGINS: 'https://app.example.com/login' }, 'WEBAUTHN_ORIGINS'],
    [{ WEBAUTHN_ORIGINS: '*' }, 'WEBAUTHN_ORIGINS'],
    [
      { WEBAUTHN_RP_ID: 'example.com', WEBAUTHN_ORIGINS: 'https://example.org' },
      'WEBAUTHN_ORIGINS',
    ],
    [{ FRONTEND_URL: 'https://app.example.com', WEBAUTHN_RP_ID: 'other.com' }, 'WEBAUTHN_RP_ID'],
    [{ WEBAUTHN_CHALLENGE_TTL_SECONDS: '5' }, 'WEBAUTHN_CHALLENGE_TTL_SECONDS'],
    // Issue 11, item 8: a ping rarer than the socket timeout closes every idle connection.
    [
      { REDIS_PING_INTERVAL_MS: '10000', REDIS_SOCKET_TIMEOUT_MS: '5000' },
      'REDIS_SOCKET_TIMEOUT_MS',
    ],
    // Issue 17, item 5: sentinels as host:port, a master group name, no TLS through them.
    [{ REDIS_SENTINELS: 'sentinel-1' }, 'REDIS_SENTINELS'],
    [{ REDIS_SENTINELS: 'sentinel-1:26379,sentinel-2:99999' }, 'REDIS_SENTINELS'],
    [{ REDIS_SENTINELS: 'redis://sentinel-1:26379' }, 'REDIS_SENTINELS'],
    [{ REDIS_SENTINELS: '[nonsense]:26379' }, 'REDIS_SENTINELS'],
    [
      { REDIS_SENTINELS: 'sentinel-1:26379', REDIS_SENTINEL_NAME: 'my master' },
      'REDIS_SENTINEL_NAME',
    ],
    [
      { REDIS_SENTINELS: 'sentinel-1:26379', REDIS_URL: 'rediss://:secret@redis.internal' },
      'REDIS_URL',
    ],
  ])('refuses %j with one line naming the variable', (env, name) => {
    const message = errorOf(env);
    expect(message).toMatch(new RegExp(`^Invalid configuration: ${name} `));
    expect(message).not.toContain('\n');
  });

  it('never echoes a secret value in its error', () => {
    expect(errorOf({ JWT_SECRET: 'hunter2-secret' })).not.toContain('hunter2');
  });

  describe('in production', () => {
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://app@db.internal:5432/insightsheet',
      JWT_SECRET: LONG_SECRET,
      FRONTEND_URL: 'https://app.insightsheet.io',
    };

    it('accepts a complete configuration', () => {
      expect(loadConfig(production).isProduction).toBe(true);
    });

    it('requires DATABASE_URL', () => {
      expect(errorOf({ ...production, DATABASE_URL: '' })).toMatch(
        /^Invalid configuration: DATABASE_URL /,
      );
    });

    it('requires a JWT_SECRET of at least 64 characters', () => {
      expect(errorOf({ ...production, JWT_SECRET: 'y'.repeat(63) })).toMatch(
        /^Invalid configuration: JWT_SECRET /,
      );
      expect(errorOf({ ...production, JWT_SECRET: '' })).toMatch(
        /^Invalid configuration: JWT_SECRET /,
      );
    });
  });

  it('parses TRUST_PROXY as a hop count or an address list', () => {
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.1' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.1',
    ]);
  });

  it('takes the passkey relying party from FRONTEND_URL unless told otherwise', () => {
    expect(loadConfig({}).webauthn).toEqual({
      rpId: 'localhost',
      rpName: 'InsightSheet',
      origins: ['http://localhost:5173'],
      challengeTtlSeconds: 300,
    });
    expect(loadConfig({ FRONTEND_URL: 'https://app.example.com/' }).webauthn).toMatchObject({
      rpId: 'app.example.com',
      origins: ['https://app.example.com'],
    });
    expect(
      loadConfig({
        FRONTEND_URL: 'https://app.example.com',
        WEBAUTHN_RP_ID: 'Example.com',
        WEBAUTHN_RP_NAME: 'Sheets',
        WEBAUTHN_ORIGINS: 'https://app.example.com, https://example.com/',
        WEBAUTHN_CHALLENGE_TTL_SECONDS: '60',
      }).webauthn,
    ).toEqual({
      rpId: 'example.com',
      rpName: 'Sheets',
      origins: ['https://app.example.com', 'https://example.com'],
      challengeTtlSeconds: 60,
    });
  });

  it('normalises ALLOWED_ORIGINS to exact origins', () => {
    expect(
      loadConfig({ ALLOWED_ORIGINS: 'https://a.example/, http://localhost:5173' }).allowedOrigins,
    ).toEqual(['https://a.example', 'http://localhost:5173']);
  });
});

describe('parseDurationSeconds', () => {
  it.each([
    ['900', 900],
    ['15m', 900],
    ['12h', 43_200],
    ['30d', 2_592_000],
    ['1500ms', 1],
  ])('%s -> %d', (input, seconds) => expect(parseDurationSeconds(input)).toBe(seconds));

  it('rejects what is not a duration', () => {
    expect(parseDurationSeconds('15 minutes')).toBeUndefined();
    expect(parseDurationSeconds('10ms')).toBeUndefined();
  });
});

describe('parseByteSize', () => {
  it.each([
    ['1024', 1024],
    ['100kb', 102_400],
    ['1MB', 1_048_576],
  ])('%s -> %d', (input, bytes) => expect(parseByteSize(input)).toBe(bytes));
});

describe('.env.example', () => {
  it('documents every variable the schema accepts, and nothing else', async () => {
    const { readFile } = await import('node:fs/promises');
    const { envSchema } = await import('./config.schema.js');
    const text = await readFile(new URL('../../.env.example', import.meta.url), 'utf8');
    const documented = new Set(
      [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]),
    );
    const accepted = Object.keys(envSchema.shape);
    expect([...documented].sort()).toEqual([...accepted].sort());
  });
});
