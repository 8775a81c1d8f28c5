import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { guardClientErrors } from '../../src/database/pool-client-errors.js';
import { eventually } from '../support/eventually.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

// A connection the server ends while its client is held between two queries: pg emits
// 'error' on the client, and with no listener the process would stop.
describe('a held pool client whose connection the server ends', () => {
  let database: TestDatabase;
  let admin: pg.Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await database.drop();
  });

  it('reports the error instead of leaving it unhandled, and the pool goes on', async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 2 });
    pool.on('error', () => undefined);
    const reported: Error[] = [];
    guardClientErrors(pool, (error) => reported.push(error));
    const client = await pool.connect();
    const [{ pid }] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;

    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await eventually('the held client to report the ended connection', () => reported.length > 0);
    expect(reported[0].message).toMatch(/terminat/);

    client.release(reported[0]);
    const [{ one }] = (await pool.query<{ one: number }>('SELECT 1 AS one')).rows;
    expect(one).toBe(1);
    await pool.end();
  });
});
