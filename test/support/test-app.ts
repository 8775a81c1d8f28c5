import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Writable } from 'node:stream';
import { createApp, type CreateAppOptions } from '../../src/app.setup.js';
import { loadConfig, type AppConfig } from '../../src/config/app-config.js';
import { viaPgBouncer } from './pgbouncer.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export const TEST_JWT_SECRET =
  'test-secret-that-is-long-enough-for-production-rules-0123456789abcdef';

/** The Redis that tests use when a suite needs one: REDIS_URL, or the local default. */
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A test configuration: explicit values only, never the developer's own environment. In the
 * `pgbouncer` jest project its DATABASE_URL goes through the run's PgBouncer (viaPgBouncer).
 */
export function testEnv(
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return viaPgBouncer({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: TEST_JWT_SECRET,
    REDIS_URL: process.env.REDIS_URL,
    REDIS_KEY_PREFIX: `is-test:${process.env.TEST_RUN_ID}:${randomBytes(4).toString('hex')}`,
    SHUTDOWN_DRAIN_MS: '0',
    FRONTEND_URL: 'https://app.insightsheet.test',
    ALLOWED_ORIGINS: 'https://app.insightsheet.test,https://admin.insightsheet.test',
    RATE_LIMIT_MAX_REQUESTS: '10000',
    // Tests act as many clients through X-Forwarded-For (see factories/users.factory.ts).
    TRUST_PROXY: '127.0.0.1',
    ...overrides,
  });
}

/** Captures log lines (as parsed JSON) for assertions on logging. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString().split('\n').filter(Boolean))
      this.lines.push(JSON.parse(line));
    done();
  }
  get text(): string {
    return this.lines.map((line) => JSON.stringify(line)).join('\n');
  }
}

/** What the factories need of a running API, in this process or another. */
export interface ApiClient {
  url: string;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** SQL against the app's own database, for setting up and checking state. */
  query<T = Record<string, unknown>>(sql: string, parameters?: unknown[]): Promise<T[]>;
}

export interface TestApp extends ApiClient {
  app: NestFastifyApplication;
  config: AppConfig;
  database: TestDatabase | undefined;
  close(): Promise<void>;
}

export interface StartTestAppOptions extends CreateAppOptions {
  env?: Record<string, string | undefined>;
  /** Use this database instead of a fresh clone of the template. */
  databaseUrl?: string;
}

/** Boots the real application (app.setup.ts, as main.ts does) on a random local port. */
export async function startTestApp(options: StartTestAppOptions = {}): Promise<TestApp> {
  const database = options.databaseUrl ? undefined : await createTestDatabase();
  const config = loadConfig(
    testEnv({ DATABASE_URL: options.databaseUrl ?? database!.url, ...options.env }),
  );
  const app = await createApp(config, options);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  let closed = false;
  return {
    app,
    config,
    url,
    database,
    fetch: (path, init) => fetch(`${url}${path}`, init),
    query: (sql, parameters) => app.get(DataSource).query(sql, parameters),
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await database?.drop();
    },
  };
}

export function json(body: unknown, headers: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}
