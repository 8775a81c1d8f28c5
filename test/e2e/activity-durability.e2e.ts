import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { bearer, registerUser } from '../factories/users.factory.js';
import { ensureBuilt, startApiProcess, type ApiProcess } from '../support/server-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { json, TEST_JWT_SECRET } from '../support/test-app.js';

const CONCURRENCY = 16;
const KILL_AFTER_ACCEPTED = 150;

/**
 * Issue 10, item 2: 202 means durable. The built server runs as a real process, is killed with
 * SIGKILL while requests are still in flight, right after its 202s, and every event it
 * acknowledged is found once it has been started again. (With events acknowledged from a
 * buffer and written a flush interval later, most of these were lost.)
 */
describe('activity durability across a hard crash', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  let api: ApiProcess | undefined;

  beforeAll(async () => {
    ensureBuilt();
    database = await createTestDatabase();
    env = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: database.url,
      JWT_SECRET: TEST_JWT_SECRET,
      FRONTEND_URL: 'https://app.insightsheet.test',
      TRUST_PROXY: '127.0.0.1',
      RATE_LIMIT_MAX_REQUESTS: '100000',
      // A window long enough that a buffered event would surely be lost by the kill.
      ACTIVITY_FLUSH_MS: '200',
    };
  });
  afterAll(async () => {
    await api?.stop('SIGKILL');
    await database.drop();
  });

  it('finds every event answered 202 after kill -9 and a restart', async () => {
    api = await startApiProcess(env);
    const user = await registerUser(api);
    const accepted: string[] = [];
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      api!.child.kill('SIGKILL');
    };
    const worker = async () => {
      while (!killed) {
        const id = randomUUID();
        try {
          const response = await fetch(
            `${api!.url}/api/v1/activity`,
            json(
              { id, action: 'sheet.crash_probe', resourceId: id },
              { authorization: `Bearer ${user.accessToken}` },
            ),
          );
          if (response.status === 202) accepted.push(id);
          else throw new Error(`answered ${response.status}`);
        } catch (error) {
          if (!killed) throw error;
          return; // in flight at the kill: neither acknowledged nor promised
        }
        if (accepted.length >= KILL_AFTER_ACCEPTED) kill();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const exit = await api.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(accepted.length).toBeGreaterThanOrEqual(KILL_AFTER_ACCEPTED);

    api = await startApiProcess(env);
    const stored = new Set(
      (
        await api.query<{ resource_id: string }>(
          `SELECT resource_id FROM user_activities WHERE user_id = $1 AND action = 'sheet.crash_probe'`,
          [user.id],
        )
      ).map((row) => row.resource_id),
    );
    const lost = accepted.filter((id) => !stored.has(id));
    expect(lost).toEqual([]);
    // The restarted server serves them too.
    const page = await api.fetch('/api/v1/activity/me?limit=1', bearer(user.accessToken));
    expect(page.status).toBe(200);
  }, 90_000);
});
