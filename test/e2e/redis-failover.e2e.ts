import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { bearer, clientAddress, registerUser } from '../factories/users.factory.js';
import { eventually } from '../support/eventually.js';
import { startLoad } from '../support/load.js';
import {
  RedisSentinelGroup,
  sentinelInstalled,
  type SentinelTimings,
} from '../support/redis-sentinel.js';
import { ensureBuilt, startApiProcess, type ApiProcess } from '../support/server-process.js';
import { TEST_JWT_SECRET } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/** The registration route's own limit: 10 an hour per client address (auth.controller.ts). */
const REGISTRATIONS_PER_ADDRESS = 10;

/**
 * The longest the sentinels may take, from the primary's death to a promoted replica they
 * name, built from the timings that make it up:
 * - a sentinel calls the primary down after down-after-milliseconds without an answer,
 *   checked on its PINGs, sent once a second;
 * - the elected leader starts the failover up to 1 s later (Sentinel's random de-sync, so
 *   that sentinels do not all stand for election at once); a split vote is tried again after
 *   twice failover-timeout (allowed for once);
 * - it sees the replica promoted on its INFO poll, once a second during a failover.
 */
function promotionBoundMs({ downAfterMs, failoverTimeoutMs }: SentinelTimings): number {
  const detection = downAfterMs + 1000;
  const election = 1000 + 2 * failoverTimeoutMs;
  const promotion = 1000;
  return detection + election + promotion;
}

/**
 * The longest the API may take after the promotion to write to the new primary: node-redis's
 * Sentinel client, woken by the sentinels' messages, asks them again and pauses 1 s between
 * asks while they name no usable primary. That can be twice: while the dead primary is still
 * named (down, failover in progress), and just after switch-master, while the sentinels' own
 * link to the new primary is still marked disconnected. Then one connection (a local round
 * trip), and one second more for a loaded machine and this test's readiness polling.
 */
const FOLLOW_BOUND_MS = 2 * 1000 + 1000;

interface Sample {
  startedAt: number;
  endedAt: number;
  status?: number;
  error?: string;
}

const describeSentinel = !sentinelInstalled() && !process.env.CI ? describe.skip : describe;

/**
 * Two built API processes (NODE_ENV=production) configured with REDIS_SENTINELS only, on a
 * Redis primary, a replica and three sentinels of this suite's own. The primary is SIGKILLed
 * while both serve authenticated traffic (every request reads the access state from the cache
 * and counts against the rate limits in Redis).
 */
describeSentinel('Redis through Sentinel: the primary fails over under load', () => {
  const group = new RedisSentinelGroup({
    sentinels: 3,
    downAfterMs: 1000,
    failoverTimeoutMs: 3000,
  });
  const prefix = `is-failover-${randomBytes(4).toString('hex')}`;
  let database: TestDatabase;
  let a: ApiProcess;
  let b: ApiProcess;

  beforeAll(async () => {
    if (!sentinelInstalled()) throw new Error('CI is set: redis-sentinel is not installed');
    ensureBuilt();
    await group.start();
    database = await createTestDatabase();
    const env = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      DATABASE_URL: database.url,
      // Sentinel mode: the primary comes from the sentinels; REDIS_URL gives the password.
      REDIS_SENTINELS: group.sentinelList,
      REDIS_SENTINEL_NAME: group.name,
      REDIS_SENTINEL_PASSWORD: group.sentinelPassword,
      REDIS_URL: group.credentialsUrl,
      REDIS_KEY_PREFIX: prefix,
      JWT_SECRET: TEST_JWT_SECRET,
      FRONTEND_URL: 'https://app.insightsheet.test',
      TRUST_PROXY: '127.0.0.1',
      // The load's own user makes thousands of requests: the global limit stays out of the way.
      RATE_LIMIT_MAX_REQUESTS: '1000000',
      SHUTDOWN_DRAIN_MS: '0',
      DB_POOL_MAX: '5',
    };
    [a, b] = await Promise.all([startApiProcess(env), startApiProcess(env)]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await database?.drop();
    await group.stop();
  });

  /** Whether the instance answers ready with its rate limits in Redis. */
  const sharedAgain = async (api: ApiProcess) => {
    const response = await api.fetch('/health/ready');
    const body = (await response.json()) as { details?: { redis?: { rateLimits?: string } } };
    return response.status === 200 && body.details?.redis?.rateLimits === 'redis';
  };

  it('follows the promoted replica without a restart; limits and revocations stay shared', async () => {
    const [formerPrimary, replica] = group.nodePorts;
    expect(await group.primary()).toEqual({ host: '127.0.0.1', port: formerPrimary });
    const loadUser = await registerUser(a);
    const revoked = await registerUser(b);
    expect((await b.fetch('/api/v1/users/me', bearer(revoked.accessToken))).status).toBe(200);

    // Half the registration budget of one address, spent across both instances.
    const address = clientAddress();
    const register = (api: ApiProcess) =>
      api.fetch('/api/v1/auth/register', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...address },
        body: JSON.stringify({
          email: `failover-${randomBytes(6).toString('hex')}@example.com`,
          password: `Sheets-${randomBytes(9).toString('base64url')}!`,
          name: 'Failover',
        }),
      });
    for (let i = 0; i < REGISTRATIONS_PER_ADDRESS / 2; i++) {
      expect((await register(i % 2 === 0 ? a : b)).status).toBe(201);
    }
    // Replication is asynchronous: what the primary acknowledged last may not have reached the
    // replica when it dies. The counts above must be there before the kill.
    await eventually('the replica to catch up', () => group.replicaCaughtUp());

    const samples: Sample[] = [];
    let stopLoad!: () => void;
    const stopped = new Promise<void>((resolve) => (stopLoad = resolve));
    let turn = 0;
    const load = startLoad(
      async (signal) => {
        const api = turn++ % 2 === 0 ? a : b;
        const sample: Sample = { startedAt: performance.now(), endedAt: 0 };
        samples.push(sample);
        try {
          const response = await api.fetch('/api/v1/users/me', {
            ...bearer(loadUser.accessToken, clientAddress()),
            signal,
          });
          sample.status = response.status;
          return response;
        } catch (error) {
          sample.error = String((error as Error).cause ?? error);
          throw error;
        } finally {
          sample.endedAt = performance.now();
        }
      },
      { concurrency: 8, stop: stopped, timeoutMs: 10_000 },
    );
    const answers = (n: number, what: string) => {
      const from = samples.length;
      return eventually(`${n} more answers ${what}`, () => samples.length >= from + n, {
        timeoutMs: 20_000,
      });
    };

    let killedAt = 0;
    let promotedAt = 0;
    const followedAt = new Map<ApiProcess, number>();
    let notReady = 0;
    let promoted: { host: string; port: number };
    const promotionBound = promotionBoundMs(group.timings);
    const bound = promotionBound + FOLLOW_BOUND_MS;
    try {
      await answers(100, 'before the kill');
      expect(await group.killPrimary()).toBe(formerPrimary);
      killedAt = performance.now();

      // Each instance is back when it answers ready with its counters in Redis again.
      const watch = (api: ApiProcess) =>
        eventually(
          'the instance to use Redis again',
          async () => {
            const shared = await sharedAgain(api);
            if (!shared) notReady++;
            if (shared && promotedAt > 0) followedAt.set(api, performance.now());
            return shared && promotedAt > 0;
          },
          { timeoutMs: bound + 5000, intervalMs: 50 },
        );
      const watching = Promise.all([watch(a), watch(b)]);
      promoted = await group.waitForPromotion(formerPrimary, promotionBound);
      promotedAt = performance.now();
      await watching;
      await answers(100, 'after the failover');
    } finally {
      stopLoad();
    }
    await load.finished;

    const followed = Math.max(...followedAt.values());
    const windowMs = followed - killedAt;
    const failed = samples.filter((sample) => sample.error || sample.status !== 200);
    const slowest = Math.max(...samples.map((sample) => sample.endedAt - sample.startedAt));
    const during = samples.filter((s) => s.endedAt >= killedAt && s.startedAt <= followed);
    // eslint-disable-next-line no-console -- the measured window is this suite's report
    console.log(
      [
        `Redis failover (down-after ${group.timings.downAfterMs} ms, failover-timeout ` +
          `${group.timings.failoverTimeoutMs} ms, 3 sentinels):`,
        `  primary killed -> promoted per Sentinel: ${Math.round(promotedAt - killedAt)} ms ` +
          `(bound ${promotionBound} ms)`,
        `  promoted -> both API processes on the new primary: ${Math.round(followed - promotedAt)} ms ` +
          `(bound ${FOLLOW_BOUND_MS} ms)`,
        `  primary killed -> both API processes on the new primary: ${Math.round(windowMs)} ms ` +
          `(a ${Math.round(followedAt.get(a)! - killedAt)} ms, b ${Math.round(followedAt.get(b)! - killedAt)} ms; bound ${bound} ms)`,
        `  requests: ${samples.length} in all, ${during.length} during the window, ` +
          `${failed.length} failed; slowest ${Math.round(slowest)} ms; ` +
          `readiness answered not-ready ${notReady} times`,
      ].join('\n'),
    );

    // The sentinels promoted the replica, and both instances followed it within the bound.
    expect(promoted!).toEqual({ host: '127.0.0.1', port: replica });
    expect(promotedAt - killedAt).toBeLessThan(promotionBound);
    expect(followed - promotedAt).toBeLessThan(FOLLOW_BOUND_MS);
    expect(windowMs).toBeLessThan(bound);
    for (const api of [a, b]) {
      expect(api.child.exitCode).toBeNull();
      expect(api.output()).toContain(`Redis primary is 127.0.0.1:${replica} (Sentinel)`);
    }
    // No request failed outside the window, and none within it either: while the primary is
    // gone, the cache misses to the database and the rate limits count per instance.
    for (const sample of failed) {
      expect(sample.startedAt).toBeGreaterThanOrEqual(killedAt - 1000);
      expect(sample.endedAt).toBeLessThanOrEqual(followed + 1000);
    }
    expect(failed).toEqual([]);
    expect(slowest).toBeLessThan(3000);

    // The instances write to the promoted node: a new address's counter is there.
    for (const api of [a, b]) {
      const fresh = clientAddress();
      expect((await api.fetch('/api/v1/plans', { headers: fresh })).status).toBe(200);
      const key = `${prefix}:rl:default:ip:${fresh['x-forwarded-for']}`;
      expect(await group.command(replica, ['GET', key])).toBe('1');
    }

    // The registration limit kept counting across the failover: five before, five after,
    // then refused, whichever instance is asked.
    for (let i = 0; i < REGISTRATIONS_PER_ADDRESS / 2; i++) {
      expect((await register(i % 2 === 0 ? b : a)).status).toBe(201);
    }
    expect((await register(a)).status).toBe(429);
    expect((await register(b)).status).toBe(429);

    // A revocation made after the failover is seen by the other instance at once.
    expect((await b.fetch('/api/v1/users/me', bearer(revoked.accessToken))).status).toBe(200);
    const logout = await a.fetch('/api/v1/auth/logout-all', {
      method: 'POST',
      ...bearer(revoked.accessToken),
    });
    expect(logout.status).toBe(204);
    expect((await b.fetch('/api/v1/users/me', bearer(revoked.accessToken))).status).toBe(401);
  }, 120_000);
});
