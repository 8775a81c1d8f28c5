import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { setUpDatabaseRoles } from '../../src/database/database-roles.js';
import { registerUser, login } from '../factories/users.factory.js';
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
      expect((await api.fetch('/health/ready')).status).toBe(200);
      const [{ current_user: role }] = await api.query<{ current_user: string }>(
        'SELECT current_user',
      );
      expect(role).toBe(roles.app.name);
    } finally {
      await api.close();
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
});
