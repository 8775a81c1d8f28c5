import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { loadConfig } from '../../src/config/app-config.js';
import { buildDataSourceOptions } from '../../src/database/database.options.js';
import { registerUser } from '../factories/users.factory.js';
import { PgBouncer } from '../support/pgbouncer.js';
import { json, startTestApp, type TestApp } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * Issue 17, item 4. Only in the `pgbouncer` jest project (jest.config.js), whose other suites
 * run through the run's PgBouncer; this one shows what that proves: the pooler really is in
 * transaction mode (session state one client leaves reaches another), a connection asking for
 * session settings at startup is refused, and the API serves a burst of requests on two server
 * connections.
 */
async function connect(url: string, options: pg.ClientConfig = {}): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, ...options });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

describe('PgBouncer in transaction mode (negative controls)', () => {
  let database: TestDatabase;
  let pgbouncer: PgBouncer;

  beforeAll(async () => {
    database = await createTestDatabase({ migrated: false });
    pgbouncer = new PgBouncer({ serverUrl: database.url, poolSize: 1 });
    await pgbouncer.start();
  });
  afterAll(async () => {
    await pgbouncer?.stop();
    await database?.drop();
  });

  it('hands one client session state another client left: SET leaks, SET LOCAL does not', async () => {
    const url = pgbouncer.urlFor(database.name);
    const [a, b] = [await connect(url), await connect(url)];
    try {
      await a.query(`SET statement_timeout = '4321ms'`);
      const leaked = await b.query<{ statement_timeout: string }>('SHOW statement_timeout');
      expect(leaked.rows[0].statement_timeout).toBe('4321ms');
      await b.query('RESET statement_timeout');

      await a.query('BEGIN');
      await a.query(`SET LOCAL statement_timeout = '1234ms'`);
      await a.query('COMMIT');
      const kept = await b.query<{ statement_timeout: string }>('SHOW statement_timeout');
      expect(kept.rows[0].statement_timeout).toBe('0');

      // A session-level advisory lock stays with the server connection, not with its client.
      await a.query('SELECT pg_advisory_lock(17)');
      const held = await b.query<{ mine: boolean }>(
        `SELECT count(*) > 0 AS mine FROM pg_locks
          WHERE locktype = 'advisory' AND objid = 17 AND pid = pg_backend_pid()`,
      );
      expect(held.rows[0].mine).toBe(true);
      await b.query('SELECT pg_advisory_unlock_all()');
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it('refuses a connection that asks for statement_timeout at startup, as the API used to', async () => {
    const url = pgbouncer.urlFor(database.name);
    await expect(connect(url, { statement_timeout: 1000 })).rejects.toThrow(
      'unsupported startup parameter: statement_timeout',
    );
    // What the API's pools ask for now, behind a transaction pooler.
    const config = loadConfig({
      DATABASE_URL: url,
      DATABASE_DIRECT_URL: database.url,
      DB_TRANSACTION_POOLING: 'true',
    });
    const client = await connect(url, buildDataSourceOptions(config).extra as pg.ClientConfig);
    await client.end();
  });
});

describe('the API behind the run PgBouncer (two server connections per database)', () => {
  let api: TestApp;
  const pooler = process.env.TEST_PGBOUNCER_URL!;

  beforeAll(async () => {
    api = await startTestApp({ env: { DB_POOL_MAX: '20', DB_POOL_MIN: '0' } });
  });
  afterAll(() => api?.close());

  it('is configured through it, the migrations and job queue schema checked on the direct URL', () => {
    expect(new URL(api.config.database.url!).port).toBe(new URL(pooler).port);
    expect(api.config.database.directUrl).toBe(api.database!.url);
    expect(api.config.database.transactionPooling).toBe(true);
  });

  it('serves a burst of requests on two server connections', async () => {
    const users = await Promise.all(Array.from({ length: 4 }, () => registerUser(api)));
    const admin = await connect(new URL('/pgbouncer', pooler).toString());
    const peak = { clients: 0, servers: 0 };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await admin.query<Record<string, number | string>>('SHOW POOLS');
        const pool = rows.find((row) => row.database === api.database!.name);
        if (pool) {
          const count = (...keys: string[]) =>
            keys.reduce((sum, key) => sum + Number(pool[key]), 0);
          peak.clients = Math.max(peak.clients, count('cl_active', 'cl_waiting'));
          peak.servers = Math.max(
            peak.servers,
            count('sv_active', 'sv_idle', 'sv_used', 'sv_tested', 'sv_login'),
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    try {
      const requests = Array.from({ length: 240 }, (_, index) => {
        const user = users[index % users.length];
        const auth = { authorization: `Bearer ${user.accessToken}` };
        switch (index % 4) {
          case 0:
            return api.fetch('/api/v1/users/me', { headers: auth });
          case 1:
            return api.fetch('/api/v1/activity', json({ action: `burst.${index}` }, auth));
          case 2:
            return api.fetch('/api/v1/auth/sessions', { headers: auth });
          default:
            return api.fetch('/api/v1/subscriptions/me', { headers: auth });
        }
      });
      const statuses = (await Promise.all(requests)).map((response) => response.status);
      expect(statuses.filter((status) => status >= 400)).toEqual([]);
    } finally {
      sampling = false;
      await sampler;
      await admin.end();
    }
    expect(peak.clients).toBeGreaterThan(2);
    expect(peak.servers).toBeLessThanOrEqual(2);

    const direct = await connect(process.env.TEST_ADMIN_DATABASE_URL!);
    try {
      const { rows } = await direct.query<{ backends: number }>(
        'SELECT count(*)::int AS backends FROM pg_stat_activity WHERE datname = $1',
        [api.database!.name],
      );
      expect(rows[0].backends).toBeLessThanOrEqual(2);
    } finally {
      await direct.end();
    }
  });
});
