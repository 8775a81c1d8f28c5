import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { loadConfig } from '../../src/config/app-config.js';
import { ActivityWriter, type ActivityRow } from '../../src/modules/activity/activity-writer.js';
import { activityRow } from '../factories/activity.factory.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

describe(ActivityWriter.name, () => {
  let database: TestDatabase;
  let writer: ActivityWriter;
  let client: pg.Client;
  let userId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    writer = new ActivityWriter(loadConfig({ NODE_ENV: 'test', DATABASE_URL: database.url }));
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    userId = await newUser();
  });
  afterAll(async () => {
    await writer.close();
    await client.end();
    await database.drop();
  });

  async function newUser(): Promise<string> {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO users (email, password_hash, name) VALUES ($1, 'x', 'Writer') RETURNING id`,
      [`${randomUUID()}@example.com`],
    );
    return rows[0].id;
  }

  const row = (overrides: Partial<ActivityRow> = {}) =>
    activityRow({ userId, ipAddress: '10.0.0.1', userAgent: 'agent', ...overrides });

  const count = async (sql: string, values: unknown[] = []) =>
    (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${sql}) AS q`, values))
      .rows[0].n;

  // Issue 10, item 1: one unstorable row made the whole batch fail, retried forever at the
  // head of the queue. Now it is isolated and set aside; every other row is written.
  it('writes the good rows of a batch and sets each unstorable row aside with its error', async () => {
    const action = `isolate.${randomUUID().slice(0, 8)}`;
    const good = Array.from({ length: 37 }, (_, i) => row({ action, resourceId: `g${i}` }));
    const badMetadata = row({ action, metadata: { x: '\u0000' } });
    const badAddress = row({ action, ipAddress: 'garbage', source: 'server' });
    const batch = [
      ...good.slice(0, 10),
      badMetadata,
      ...good.slice(10, 30),
      badAddress,
      ...good.slice(30),
    ];

    const outcome = await writer.write(batch);

    expect(outcome).toEqual({ written: 37, duplicates: 0, deadLettered: 2 });
    expect(await count(`SELECT 1 FROM user_activities WHERE action = $1`, [action])).toBe(37);
    const { rows: letters } = await client.query<{ error_code: string; event: string }>(
      `SELECT error_code, event FROM activity_dead_letters WHERE event LIKE $1 ORDER BY id`,
      [`%${action}%`],
    );
    expect(letters.map((letter) => letter.error_code)).toEqual(['22P05', '22P02']);
    expect(JSON.parse(letters[0].event)).toMatchObject({ action, metadata: { x: '\u0000' } });
    expect(JSON.parse(letters[1].event)).toMatchObject({ ipAddress: 'garbage', source: 'server' });
    // The rollups count exactly what was written.
    expect(
      (
        await client.query<{ events: string }>(
          `SELECT events FROM activity_daily_actions WHERE action = $1 AND source = 'client'`,
          [action],
        )
      ).rows,
    ).toEqual([{ events: '37' }]);
  });

  // Issue 10, item 3: a client's retry with the same id is stored once.
  it('stores an id once per user, within a batch and across batches, and counts the repeats', async () => {
    const id = randomUUID();
    const action = `retry.${randomUUID().slice(0, 8)}`;
    expect(await writer.write([row({ id, action }), row({ id, action })])).toEqual({
      written: 1,
      duplicates: 1,
      deadLettered: 0,
    });
    expect(await writer.write([row({ id, action }), row({ action })])).toEqual({
      written: 1,
      duplicates: 1,
      deadLettered: 0,
    });
    expect(await count(`SELECT 1 FROM user_activities WHERE action = $1`, [action])).toBe(2);
    // Another user's event with the same id is theirs, not a repeat, even in the same batch
    // and the same millisecond: the client's id is not the row's.
    const other = await newUser();
    const at = new Date();
    const both = await writer.write([
      row({ id: randomUUID(), action, createdAt: at }),
      row({ id, action, userId: other, createdAt: at }),
      row({ id, action, createdAt: at }),
    ]);
    expect(both).toEqual({ written: 2, duplicates: 1, deadLettered: 0 });
    expect(
      await count(`SELECT 1 FROM user_activities WHERE action = $1 AND id = $2`, [action, id]),
    ).toBe(0);
  });

  // Issue 10, item 4: every row says who recorded it, and so do the daily counts.
  it('stores the source of each row and counts actions per source', async () => {
    const action = `source.${randomUUID().slice(0, 8)}`;
    await writer.write([
      row({ action }),
      row({ action, source: 'server' }),
      row({ action, source: 'server' }),
    ]);
    const { rows } = await client.query(
      `SELECT source, count(*)::int AS n FROM user_activities WHERE action = $1 GROUP BY source ORDER BY source`,
      [action],
    );
    expect(rows).toEqual([
      { source: 'client', n: 1 },
      { source: 'server', n: 2 },
    ]);
    const daily = await client.query(
      `SELECT source, events::int FROM activity_daily_actions WHERE action = $1 ORDER BY source`,
      [action],
    );
    expect(daily.rows).toEqual([
      { source: 'client', events: 1 },
      { source: 'server', events: 2 },
    ]);
  });

  it("keeps a user's refused events tied to them, so that erasure removes them", async () => {
    const owner = await newUser();
    const outcome = await writer.write([row({ userId: owner, ipAddress: 'garbage' })]);
    expect(outcome.deadLettered).toBe(1);
    const held = `SELECT 1 FROM activity_dead_letters WHERE user_id = $1`;
    expect(await count(held, [owner])).toBe(1);
    await client.query(`DELETE FROM users WHERE id = $1`, [owner]);
    expect(await count(held, [owner])).toBe(0);
  });

  it("skips the rows of a user erased meanwhile without failing the others'", async () => {
    const erased = await newUser();
    await client.query(`DELETE FROM users WHERE id = $1`, [erased]);
    const action = `erased.${randomUUID().slice(0, 8)}`;
    const outcome = await writer.write([row({ action }), row({ action, userId: erased })]);
    expect(outcome).toEqual({ written: 1, duplicates: 0, deadLettered: 0 });
  });

  it('throws when the database is unreachable, and has then written nothing', async () => {
    const unreachable = new ActivityWriter(
      loadConfig({
        NODE_ENV: 'test',
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
        DB_CONNECT_TIMEOUT_MS: '500',
      }),
    );
    try {
      await expect(unreachable.write([row()])).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      await unreachable.close();
    }
  });
});
