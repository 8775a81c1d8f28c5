import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config.js';
import { buildDataSourceOptions } from '../../src/database/database.options.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

describe('migrations', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase({ migrated: false });
    dataSource = new DataSource({
      ...buildDataSourceOptions(loadConfig({ NODE_ENV: 'test' }), database.url),
      logging: false,
    });
    await dataSource.initialize();
    await dataSource.runMigrations({ transaction: 'each' });
  });
  afterAll(async () => {
    await dataSource.destroy();
    await database.drop();
  });

  const sqlState = async (work: Promise<unknown>): Promise<string | undefined> => {
    try {
      await work;
      return undefined;
    } catch (error) {
      return (
        (error as { driverError?: { code?: string }; code?: string }).driverError?.code ??
        (error as { code?: string }).code
      );
    }
  };

  async function insertUser(email: string): Promise<string> {
    const [row] = await dataSource.query(
      `INSERT INTO users (email, password_hash, name) VALUES ($1, 'x', 'Test') RETURNING id`,
      [email],
    );
    return row.id;
  }

  it('creates the three tables with generated UUIDs and timestamptz', async () => {
    const id = await insertUser('uuid@example.com');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const columns = await dataSource.query(
      `SELECT table_name, column_name FROM information_schema.columns
       WHERE table_schema = 'public' AND data_type = 'timestamp without time zone'`,
    );
    expect(columns).toEqual([]);
    const defaults = await dataSource.query(
      `SELECT DISTINCT column_default FROM information_schema.columns
       WHERE table_schema = 'public' AND column_name = 'id' AND data_type = 'uuid'`,
    );
    expect(defaults).toEqual([{ column_default: 'gen_random_uuid()' }]);
  });

  it('keeps emails unique regardless of case and stores them normalised', async () => {
    await insertUser('ada@example.com');
    expect(await sqlState(insertUser('ada@example.com'))).toBe('23505');
    expect(await sqlState(insertUser('Ada@Example.com'))).toBe('23514');
  });

  it('allows one subscription per user, removed with the user', async () => {
    const userId = await insertUser('sub@example.com');
    await dataSource.query(`INSERT INTO subscriptions (user_id) VALUES ($1)`, [userId]);
    expect(
      await sqlState(dataSource.query(`INSERT INTO subscriptions (user_id) VALUES ($1)`, [userId])),
    ).toBe('23505');
    await dataSource.query(`DELETE FROM users WHERE id = $1`, [userId]);
    expect(
      await dataSource.query(`SELECT 1 FROM subscriptions WHERE user_id = $1`, [userId]),
    ).toEqual([]);
  });

  it('maintains updated_at on every update', async () => {
    const userId = await insertUser('touch@example.com');
    // A client cannot backdate it either: the trigger sets it from the transaction's clock.
    await dataSource.query(`UPDATE users SET updated_at = now() - interval '1 day' WHERE id = $1`, [
      userId,
    ]);
    const [before] = await dataSource.query(
      `SELECT updated_at, created_at FROM users WHERE id = $1`,
      [userId],
    );
    expect(new Date(before.updated_at).getTime()).toBeGreaterThanOrEqual(
      new Date(before.created_at).getTime(),
    );
    await dataSource.query(`SELECT pg_sleep(0.02)`);
    await dataSource.query(`UPDATE users SET name = 'Renamed' WHERE id = $1`, [userId]);
    const [after] = await dataSource.query(`SELECT updated_at FROM users WHERE id = $1`, [userId]);
    expect(new Date(after.updated_at).getTime()).toBeGreaterThan(
      new Date(before.updated_at).getTime(),
    );
  });

  it('serves the recent-activity query from an index', async () => {
    const plan = await dataSource.transaction(async (manager) => {
      await manager.query('SET LOCAL enable_seqscan = off');
      return manager.query(
        `EXPLAIN SELECT * FROM user_activities WHERE created_at > now() - interval '30 days' ORDER BY created_at DESC LIMIT 50`,
      );
    });
    // Each monthly partition has its own copy of the index declared on the parent.
    expect(JSON.stringify(plan)).toMatch(
      /Index Scan on user_activities_\d{4}_\d{2}_created_at_idx/,
    );
  });

  it('reverts cleanly and applies again', async () => {
    for (let i = 0; i < dataSource.migrations.length; i++) {
      await dataSource.undoLastMigration({ transaction: 'each' });
    }
    const tables = await dataSource.query(
      `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migrations'`,
    );
    expect(tables).toEqual([]);
    await dataSource.runMigrations({ transaction: 'each' });
    expect(await dataSource.showMigrations()).toBe(false);
  });
});
