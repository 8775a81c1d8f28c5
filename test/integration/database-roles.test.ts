import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { setUpDatabaseRoles } from '../../src/database/database-roles.js';
import type { ReadQuery, ReadRouter } from '../../src/database/read-router.service.js';
import { ActivityRepository } from '../../src/modules/activity/activity.repository.js';
import { AnalyticsRepository } from '../../src/modules/activity/analytics.repository.js';
import { registerUser, login } from '../factories/users.factory.js';
import { eventually } from '../support/eventually.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { json, startTestApp } from '../support/test-app.js';

/** A connection URL for another role on the same database (trust authentication here). */
function as(role: string, password: string, url: string): string {
  const parsed = new URL(url);
  parsed.username = role;
  parsed.password = password;
  return parsed.toString();
}

async function sqlState(url: string, sql: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  } finally {
    await client.end();
  }
}

describe('least-privilege database roles', () => {
  const suffix = `${process.env.TEST_RUN_ID}_${randomBytes(3).toString('hex')}`;
  const roles = {
    app: { name: `is_app_${suffix}`, password: randomBytes(16).toString('hex') },
    analytics: { name: `is_analytics_${suffix}`, password: randomBytes(16).toString('hex') },
    statementTimeoutMs: 7000,
  };
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
    await setUpDatabaseRoles(database.url, roles);
    // Run twice: the command is safe to repeat (it updates the roles).
    await setUpDatabaseRoles(database.url, roles);
  });
  afterAll(async () => {
    await database.drop();
    const admin = new pg.Client({ connectionString: process.env.TEST_ADMIN_DATABASE_URL });
    await admin.connect();
    try {
      for (const role of [roles.app.name, roles.analytics.name])
        await admin.query(`DROP ROLE IF EXISTS "${role}"`);
    } finally {
      await admin.end();
    }
  });

  it('runs the application as the app role', async () => {
    const api = await startTestApp({
      databaseUrl: as(roles.app.name, roles.app.password, database.url),
    });
    try {
      const user = await registerUser(api);
      expect((await login(api, user.email, user.password)).status).toBe(200);
      const activity = await api.fetch(
        '/api/v1/activity',
        json({ action: 'roles.check' }, { authorization: `Bearer ${user.accessToken}` }),
      );
      expect(activity.status).toBe(202);
      // The mail queue: a reset request is queued, carried out and its mail sent (to the log).
      const forgot = await api.fetch('/api/v1/auth/password/forgot', json({ email: user.email }));
      expect(forgot.status).toBe(202);
      await eventually('the reset mail job completed', async () => {
        const jobs = await api.query<{ state: string }>(
          `SELECT state::text AS state FROM pgboss.job WHERE name = 'mail.send'`,
        );
        return jobs.length === 1 && jobs[0].state === 'completed';
      });
      expect((await api.fetch('/health/ready')).status).toBe(200);
      const [{ current_user: role }] = await api.query<{ current_user: string }>(
        'SELECT current_user',
      );
      expect(role).toBe(roles.app.name);
    } finally {
      await api.close();
    }
  });

  // Issue 17, item 4: behind PgBouncer the API cannot ask for a timeout when it connects.
  it("gives both roles the statement timeout in this database, whoever's client connects", async () => {
    for (const role of [roles.app, roles.analytics]) {
      const client = new pg.Client({
        connectionString: as(role.name, role.password, database.url),
      });
      await client.connect();
      try {
        const { rows } = await client.query<{ statement_timeout: string }>(
          'SHOW statement_timeout',
        );
        expect({ role: role.name, timeout: rows[0].statement_timeout }).toEqual({
          role: role.name,
          timeout: '7s',
        });
      } finally {
        await client.end();
      }
    }
  });

  it('keeps DDL away from the app role', async () => {
    const url = as(roles.app.name, roles.app.password, database.url);
    expect(await sqlState(url, 'CREATE TABLE intruder (id int)')).toBe('42501');
    expect(await sqlState(url, 'DROP TABLE users')).toBe('42501');
    expect(await sqlState(url, 'ALTER TABLE users ADD COLUMN x int')).toBe('42501');
    expect(await sqlState(url, 'SELECT count(*) FROM users')).toBeUndefined();
  });

  it('lets the analytics role read and nothing else', async () => {
    const url = as(roles.analytics.name, roles.analytics.password, database.url);
    expect(await sqlState(url, 'SELECT count(*) FROM user_activities')).toBeUndefined();
    expect(await sqlState(url, `INSERT INTO user_activities (action) VALUES ('x')`)).toBe('42501');
    expect(await sqlState(url, `UPDATE users SET name = 'x'`)).toBe('42501');
    expect(await sqlState(url, 'DELETE FROM subscriptions')).toBe('42501');
    expect(await sqlState(url, 'CREATE TABLE intruder (id int)')).toBe('42501');
  });

  // Issue 10, item 11: secrets are out of the analytics role's reach, now and in new tables.
  it('denies the analytics role password hashes, token hashes, ciphertexts and sessions', async () => {
    const url = as(roles.analytics.name, roles.analytics.password, database.url);
    for (const sql of [
      'SELECT password_hash FROM users',
      'SELECT * FROM users',
      'SELECT token_version FROM users',
      'SELECT token_hash FROM refresh_tokens',
      'SELECT successor_ciphertext FROM refresh_tokens',
      'SELECT count(*) FROM refresh_tokens',
      'SELECT token_hash FROM password_reset_tokens',
      'SELECT count(*) FROM user_sessions',
      'SELECT count(*) FROM stripe_events',
      'SELECT data FROM pgboss.job',
      'SELECT data FROM pgboss.archive',
    ])
      expect({ sql, code: await sqlState(url, sql) }).toEqual({ sql, code: '42501' });

    // A table a later migration adds (as the owner) is not readable until it is allowed.
    await sqlState(database.url, 'CREATE TABLE later_secrets (secret text)');
    expect(await sqlState(url, 'SELECT secret FROM later_secrets')).toBe('42501');
  });

  // Issue 10, item 11: what analytics reads through the read connection still works as that role.
  it('runs the analytics overview and the activity listings as the analytics role', async () => {
    const owner = new pg.Client({ connectionString: database.url });
    const reader = new pg.Client({
      connectionString: as(roles.analytics.name, roles.analytics.password, database.url),
    });
    await owner.connect();
    await reader.connect();
    try {
      const {
        rows: [user],
      } = await owner.query<{ id: string }>(
        `INSERT INTO users (email, password_hash, name) VALUES ($1, 'hash', 'Reader') RETURNING id`,
        [`reader-${suffix}@example.test`],
      );
      await owner.query(`INSERT INTO subscriptions (user_id) VALUES ($1)`, [user.id]);
      await owner.query(
        `INSERT INTO user_activities (user_id, action, metadata, ip_address) VALUES ($1, 'sheet.open', '{}', '203.0.113.9')`,
        [user.id],
      );
      const today = new Date().toISOString().slice(0, 10);
      await owner.query(
        `INSERT INTO activity_daily_actions (day, action, events) VALUES ($1, 'sheet.open', 1)`,
        [today],
      );

      // The router's read connection, as a replica configured with the analytics role gives it.
      const query: ReadQuery = async <T>(sql: string, parameters?: unknown[]) =>
        (await reader.query(sql, parameters)).rows as T[];
      const router = { read: (work: (q: ReadQuery) => Promise<unknown>) => work(query) };
      const asReplica = router as unknown as ReadRouter;

      const overview = await new AnalyticsRepository(undefined as never, asReplica).overview(
        today,
        today,
      );
      expect(overview.users.total).toBeGreaterThanOrEqual(1);
      expect(overview.planMix).toContainEqual({ plan: 'free', users: expect.any(Number) });
      expect(overview.topActions).toContainEqual({
        action: 'sheet.open',
        source: 'client',
        events: 1,
      });

      const activity = new ActivityRepository(undefined as never, asReplica);
      const page = await activity.page({ userId: user.id }, undefined, 10);
      expect(page.items).toHaveLength(1);
      expect(page.items[0]).toMatchObject({ action: 'sheet.open', userId: user.id });
      const all = await activity.page({ action: 'sheet.open' }, undefined, 10);
      expect(all.items.length).toBeGreaterThanOrEqual(1);
    } finally {
      await owner.end();
      await reader.end();
    }
  });
});
