import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/app-config.js';
import { runPendingMigrations } from '../../src/database/migrate.js';
import {
  bearer,
  createAdmin,
  registerUser,
  type RegisteredUser,
} from '../factories/users.factory.js';
import { eventually } from '../support/eventually.js';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { freePort } from '../support/server-process.js';
import { json, startTestApp, testEnv, type TestApp } from '../support/test-app.js';

const DATABASE = 'insightsheet';

interface Readiness {
  status: string;
  details: { replicas?: Record<string, { state: string; lagMs: number | null }> };
}

/**
 * A real streaming replica (pg_basebackup from a primary this suite starts) behind two API
 * instances: `patient` tolerates a minute of lag, `strict` half a second. WAL replay is paused
 * on the replica to make it fall behind on demand.
 */
describe('read replicas', () => {
  let cluster: PostgresCluster;
  let patient: TestApp;
  let strict: TestApp;
  let admin: RegisteredUser;

  const replicaEnv = (maxLagMs: number) => ({
    READ_REPLICA_URL: cluster.replicaUrl(DATABASE),
    REPLICA_MAX_LAG_MS: String(maxLagMs),
    REPLICA_CHECK_INTERVAL_MS: '100',
    ACTIVITY_FLUSH_MS: '50',
  });

  const replicaState = async (api: TestApp) => {
    const response = await api.fetch('/health/ready');
    expect(response.status).toBe(200);
    return ((await response.json()) as Readiness).details.replicas?.['replica-1'];
  };

  const waitForState = (api: TestApp, state: string) =>
    eventually(
      `the replica to be reported ${state}`,
      async () => (await replicaState(api))?.state === state,
      { timeoutMs: 15_000, intervalMs: 50 },
    );

  const usersTotal = async (api: TestApp) => {
    const response = await api.fetch('/api/v1/admin/analytics/overview', bearer(admin.accessToken));
    expect(response.status).toBe(200);
    return ((await response.json()) as { users: { total: number } }).users.total;
  };

  const primaryUsers = async () =>
    (
      await cluster.sql<{ total: number }>(
        'primary',
        DATABASE,
        'SELECT count(*)::int AS total FROM users',
      )
    )[0].total;

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    await cluster.sql('primary', 'postgres', `CREATE DATABASE ${DATABASE}`);
    const primaryUrl = cluster.primaryUrl(DATABASE);
    await runPendingMigrations(loadConfig(testEnv({ DATABASE_URL: primaryUrl })));
    await cluster.waitForReplay();
    patient = await startTestApp({ databaseUrl: primaryUrl, env: replicaEnv(60_000) });
    strict = await startTestApp({ databaseUrl: primaryUrl, env: replicaEnv(500) });
    // Made through `strict`: `patient` has seen no write by the admin, so reads the replica.
    admin = await createAdmin(strict);
    await cluster.waitForReplay();
  }, 120_000);

  afterAll(async () => {
    await patient?.close();
    await strict?.close();
    cluster?.stop();
  });

  it('reports the replica in readiness as up, with its lag', async () => {
    await waitForState(patient, 'up');
    await waitForState(strict, 'up');
    expect(await replicaState(patient)).toEqual({ state: 'up', lagMs: expect.any(Number) });
  });

  it('reads analytics from the replica, and from the primary once the replica lags too far', async () => {
    await waitForState(patient, 'up');
    const before = await primaryUsers();
    await cluster.pauseReplay();
    try {
      await registerUser(strict);
      expect(await primaryUsers()).toBe(before + 1);
      // The replica has not replayed the new user: `patient` still reads from it.
      expect(await usersTotal(patient)).toBe(before);
      // `strict` skips it once it is half a second behind, and reads the primary.
      await waitForState(strict, 'lagging');
      expect(await usersTotal(strict)).toBe(before + 1);
      const patientView = await replicaState(patient);
      expect(patientView?.state).toBe('up');
      expect(patientView?.lagMs).toBeGreaterThan(0);
    } finally {
      await cluster.resumeReplay();
    }
    await waitForState(strict, 'up');
    expect(await usersTotal(patient)).toBe(before + 1);
    expect(await usersTotal(strict)).toBe(before + 1);
  });

  it('lets a writer read its own writes from the primary while others read the replica', async () => {
    const user = await registerUser(strict);
    await cluster.waitForReplay();
    await waitForState(patient, 'up');
    await cluster.pauseReplay();
    try {
      const posted = await patient.fetch(
        '/api/v1/activity',
        json(
          { action: 'sheet.opened', resource: 'sheet' },
          { authorization: `Bearer ${user.accessToken}` },
        ),
      );
      expect(posted.status).toBe(202);
      const stored = async () =>
        (
          await cluster.sql(
            'primary',
            DATABASE,
            `SELECT 1 FROM user_activities WHERE user_id = $1 AND action = 'sheet.opened'`,
            [user.id],
          )
        ).length;
      await eventually('the event on the primary', async () => (await stored()) > 0, {
        intervalMs: 20,
      });

      const actions = async (path: string, token: string) => {
        const response = await patient.fetch(path, bearer(token));
        expect(response.status).toBe(200);
        return ((await response.json()) as { items: { action: string }[] }).items.map(
          (item) => item.action,
        );
      };
      // The writer reads the primary...
      expect(await actions('/api/v1/activity/me', user.accessToken)).toContain('sheet.opened');
      // ...while the admin, who wrote nothing through this instance, reads the paused replica.
      const adminView = `/api/v1/admin/activity?userId=${user.id}`;
      expect(await actions(adminView, admin.accessToken)).not.toContain('sheet.opened');

      await cluster.resumeReplay();
      await cluster.waitForReplay();
      expect(await actions(adminView, admin.accessToken)).toContain('sheet.opened');
    } finally {
      await cluster.resumeReplay();
    }
  });

  it('fails over to the primary when the replica stops, and back when it returns', async () => {
    await waitForState(patient, 'up');
    const expected = await primaryUsers();
    cluster.stopReplica();
    try {
      // Reads keep working from the first request on: a failed replica read is run again on
      // the primary.
      expect(await usersTotal(patient)).toBe(expected);
      await waitForState(patient, 'down');
      // Readiness is public: it says why in general terms, never the replica's address.
      expect(await replicaState(patient)).toEqual({
        state: 'down',
        lagMs: null,
        reason: 'unreachable',
      });
      expect(await usersTotal(patient)).toBe(expected);
      const metrics = await (await patient.fetch('/metrics')).text();
      expect(metrics).toMatch(/db_replica_usable\{replica="replica-1"\} 0/);
    } finally {
      cluster.startReplica();
    }
    await waitForState(patient, 'up');
    expect(await usersTotal(patient)).toBe(expected);
  });

  it('boots and stays ready with a replica that cannot be reached', async () => {
    const unreachable = `postgres://postgres@127.0.0.1:${await freePort()}/${DATABASE}`;
    const api = await startTestApp({
      databaseUrl: cluster.primaryUrl(DATABASE),
      env: { ...replicaEnv(1000), READ_REPLICA_URL: unreachable },
    });
    try {
      await waitForState(api, 'down');
      expect(await usersTotal(api)).toBe(await primaryUsers());
    } finally {
      await api.close();
    }
  });
});
