import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config/app-config.js';
import { runPendingMigrations } from '../../src/database/migrate.js';
import {
  checkoutSessionFactory,
  eventFactory,
  PRICES,
  signedDelivery,
  STRIPE_TEST_ENV,
  subscriptionFactory,
} from '../factories/stripe.factory.js';
import {
  bearer,
  clientAddress,
  registerUser,
  registerVerifiedUser,
} from '../factories/users.factory.js';
import { eventually } from '../support/eventually.js';
import { Haproxy } from '../support/haproxy.js';
import { countStatuses, startLoad, type Load } from '../support/load.js';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { RedisProcess } from '../support/redis-process.js';
import { ensureBuilt, startApiProcess, type ApiProcess } from '../support/server-process.js';
import { StripeStandIn } from '../support/stripe-stand-in.js';
import { json, TEST_JWT_SECRET, testEnv, type ApiClient } from '../support/test-app.js';

const DATABASE = 'insightsheet';
const RATE_LIMIT = 40;

/** A request that needs the database and nothing else: an unknown refresh token (401). */
const refreshUnknown = (api: { url: string }, signal?: AbortSignal) =>
  fetch(`${api.url}/api/v1/auth/refresh`, {
    ...json({ refreshToken: randomBytes(32).toString('base64url') }, clientAddress()),
    signal,
  });

/** A request that needs no dependency: the public plan catalogue (200). */
const plans = (api: { url: string }, signal?: AbortSignal) =>
  fetch(`${api.url}/api/v1/plans`, { headers: clientAddress(), signal });

async function readiness(api: ApiProcess) {
  const response = await api.fetch('/health/ready');
  return {
    status: response.status,
    body: (await response.json()) as {
      details?: Record<string, { status: string; rateLimits?: string }>;
    },
  };
}

/** Responses the balancer took from its fail-open pool (used while no process is ready). */
async function failedOpenResponses(balancer: Haproxy): Promise<number> {
  return (await balancer.servers())
    .filter((server) => server.backend === 'api_fail_open')
    .reduce((sum, server) => sum + server.responses, 0);
}

const waitFor = (what: string, check: () => Promise<boolean>, timeoutMs = 20_000) =>
  eventually(what, check, { timeoutMs, intervalMs: 50 });

/** Waits until the load has had `more` answers (or errors) after this call. */
async function moreAnswers(load: Load, more: number, what: string): Promise<void> {
  const from = load.counts.total;
  await eventually(
    `${more} more answers to the load ${what}`,
    () => load.counts.total >= from + more,
  );
}

/**
 * Two API processes built as in production (`node dist/src/main.js`, NODE_ENV=production) on a
 * PostgreSQL and a Redis of this suite's own, which it stops and starts, behind HAProxy run
 * from the shipped docker/haproxy.cfg: /health/ready checked every second, out after two
 * failures, in after two successes, failing open when no instance is ready.
 */
describe('two built API processes: shared state, faults and shutdown', () => {
  const stripe = new StripeStandIn(STRIPE_TEST_ENV.STRIPE_SECRET_KEY);
  const redis = new RedisProcess();
  let cluster: PostgresCluster;
  let a: ApiProcess;
  let b: ApiProcess;
  let balancer: Haproxy;
  /** The API as its clients reach it: through the balancer. */
  let front: ApiClient;

  beforeAll(async () => {
    ensureBuilt();
    cluster = await startPostgresCluster({ replica: false });
    await cluster.sql('primary', 'postgres', `CREATE DATABASE ${DATABASE}`);
    const databaseUrl = cluster.primaryUrl(DATABASE);
    await runPendingMigrations(loadConfig(testEnv({ DATABASE_URL: databaseUrl })));
    await redis.start();
    await stripe.start();
    const env = {
      ...STRIPE_TEST_ENV,
      STRIPE_API_BASE: stripe.url,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      JWT_SECRET: TEST_JWT_SECRET,
      FRONTEND_URL: 'https://app.insightsheet.test',
      TRUST_PROXY: '127.0.0.1',
      RATE_LIMIT_MAX_REQUESTS: String(RATE_LIMIT),
      // Longer than HAProxy takes to see readiness fail twice (inter 1s, fall 2), as
      // docs/OPERATIONS.md asks, so no request reaches a closed listener.
      SHUTDOWN_DRAIN_MS: '3000',
      DB_POOL_MAX: '10',
      ACTIVITY_FLUSH_MS: '100',
    };
    [a, b] = await Promise.all([startApiProcess(env), startApiProcess(env)]);
    balancer = new Haproxy([a.url, b.url]);
    await balancer.start();
    await balancer.waitForStatus([a.url, b.url], 'UP');
    front = {
      url: balancer.url,
      fetch: (path, init) => balancer.fetch(path, init),
      query: a.query,
    };
  }, 120_000);

  afterAll(async () => {
    await balancer?.stop();
    await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await redis.stop();
    await stripe.stop();
    cluster?.stop();
  });

  it('counts one rate limit of N across both processes behind the load balancer', async () => {
    await balancer.waitForStatus([a.url, b.url], 'UP');
    const user = await registerUser(front);
    // An address of its own: its budget, spent here too, must not limit the tests below. The
    // balancer appends the address it sees to X-Forwarded-For; TRUST_PROXY (127.0.0.1) trusts
    // that hop, so each process counts this address, not the balancer's.
    const address = clientAddress();
    const [servedA, servedB] = await Promise.all([balancer.served(a.url), balancer.served(b.url)]);
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMIT + 4; i++) {
      const response = await front.fetch('/api/v1/users/me', bearer(user.accessToken, address));
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(RATE_LIMIT);
    expect(statuses.slice(RATE_LIMIT)).toEqual([429, 429, 429, 429]);
    // Round robin: each process answered about half of them.
    expect((await balancer.served(a.url)) - servedA).toBeGreaterThanOrEqual(RATE_LIMIT / 4);
    expect((await balancer.served(b.url)) - servedB).toBeGreaterThanOrEqual(RATE_LIMIT / 4);
  });

  it('logout-all on one process rejects the token on the other at once', async () => {
    const user = await registerUser(b);
    expect((await b.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(200);
    const response = await a.fetch('/api/v1/auth/logout-all', {
      method: 'POST',
      ...bearer(user.accessToken),
    });
    expect(response.status).toBe(204);
    expect((await b.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(401);
  });

  it('a webhook-driven plan change on one process is seen by the other at once', async () => {
    const user = await registerVerifiedUser(a);
    const plan = async (api: ApiProcess) => {
      const me = await api.fetch('/api/v1/users/me', bearer(user.accessToken));
      return ((await me.json()) as { subscription: { plan: string } }).subscription.plan;
    };
    expect(await plan(b)).toBe('free');
    const checkout = await a.fetch(
      '/api/v1/billing/checkout',
      json({ plan: 'pro', interval: 'month' }, { authorization: `Bearer ${user.accessToken}` }),
    );
    expect(checkout.status).toBe(201);
    const [{ stripe_customer_id: customer }] = await a.query<{ stripe_customer_id: string }>(
      `SELECT stripe_customer_id FROM subscriptions WHERE user_id = $1`,
      [user.id],
    );
    const subscription = subscriptionFactory({
      customer,
      userId: user.id,
      price: PRICES.proMonthly,
    });
    stripe.putSubscription(subscription);
    const payload = JSON.stringify(
      eventFactory(
        'checkout.session.completed',
        checkoutSessionFactory({ customer, subscription: subscription.id, userId: user.id }),
      ),
    );
    const delivered = await a.fetch('/api/v1/billing/webhook', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signedDelivery(payload) },
      body: payload,
    });
    expect(delivered.status).toBe(200);
    expect(await plan(b)).toBe('pro');
  });

  it('keeps serving while Redis is stopped, falls back per instance, and uses Redis again', async () => {
    const user = await registerUser(a);
    let stopLoad!: () => void;
    const stopped = new Promise<void>((resolve) => (stopLoad = resolve));
    const load = startLoad((signal) => plans(a, signal), { concurrency: 8, stop: stopped });
    await moreAnswers(load, 16, 'before Redis stops');
    await redis.stop();
    try {
      await waitFor('readiness reports the fallback', async () => {
        const ready = await readiness(a);
        return ready.status === 503 && ready.body.details?.redis?.status === 'down';
      });
      // Authenticated, cached routes keep working from the database.
      expect((await a.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(200);
      await moreAnswers(load, 50, 'while Redis is stopped');
    } finally {
      await redis.start();
      stopLoad();
    }
    const result = await load.finished;
    expect(result.errors).toEqual([]);
    expect(countStatuses(result, 200, 300)).toBe(result.total);
    expect(result.maxMs).toBeLessThan(2000);
    expect(a.output()).toContain('Rate limiting falls back to per-instance counters');

    await waitFor('readiness is back to Redis', async () => {
      // The counters move back to Redis on the next rate-limited request that finds it.
      await (await plans(a)).arrayBuffer();
      const ready = await readiness(a);
      return ready.status === 200 && ready.body.details?.redis?.rateLimits === 'redis';
    });
    expect((await a.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(200);
  });

  it('fails fast with 503 while PostgreSQL is stopped, accepts no event it cannot write, and recovers by itself', async () => {
    // Through the balancer: readiness fails on both processes at once, and the balancer then
    // fails open (as an ALB does) so the processes' own fast 503s reach the clients.
    await balancer.waitForStatus([a.url, b.url], 'UP');
    const failedOpen = () => failedOpenResponses(balancer);
    const user = await registerUser(front);
    const event = (action: string) =>
      front.fetch(
        '/api/v1/activity',
        json({ action }, { authorization: `Bearer ${user.accessToken}` }),
      );
    expect((await event('sheet.before_outage')).status).toBe(202);

    let stopLoad!: () => void;
    const stopped = new Promise<void>((resolve) => (stopLoad = resolve));
    const load = startLoad((signal) => refreshUnknown(balancer, signal), {
      concurrency: 8,
      stop: stopped,
    });
    await moreAnswers(load, 16, 'before PostgreSQL stops');
    cluster.stopPrimary();
    const stoppedAt = Date.now();
    let restarted = false;
    try {
      await waitFor('readiness answers 503', async () => (await readiness(a)).status === 503, 2000);
      expect(Date.now() - stoppedAt).toBeLessThan(2000);
      // 202 means committed: an event that cannot be written now is refused, for a retry.
      const refused = await event('sheet.during_outage');
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      await balancer.waitForStatus([a.url, b.url], 'DOWN');
      // No process is ready: the balancer fails open and the processes keep answering.
      const failedOpenBefore = await failedOpen();
      await moreAnswers(load, 16, 'while the balancer fails open');
      expect(await failedOpen()).toBeGreaterThan(failedOpenBefore);
      // Real time on purpose: the process must outlast a database that stays away, under load.
      await sleep(1500);
      expect(a.child.exitCode).toBeNull();
      cluster.startPrimary();
      restarted = true;
      await waitFor('readiness is 200 again', async () => (await readiness(a)).status === 200);
      await balancer.waitForStatus([a.url, b.url], 'UP');
      await moreAnswers(load, 16, 'after PostgreSQL is back');
    } finally {
      if (!restarted) cluster.startPrimary();
      stopLoad();
    }
    const result = await load.finished;
    // Nothing hung or crashed: every request got an answer, 401 (database up) or 503 (down),
    // and none was the balancer's own 502, 503 or 504.
    expect(result.errors).toEqual([]);
    expect(countStatuses(result, 500, 503) + countStatuses(result, 504, 600)).toBe(0);
    expect(result.statuses.get(503)).toBeGreaterThan(0);
    expect(result.statuses.get(401)).toBeGreaterThan(0);
    expect(result.maxMs).toBeLessThan(5000);
    expect(balancer.output()).not.toContain('NOSRV');

    // The client's retry after the outage is written, and the refused attempt left nothing.
    expect((await event('sheet.during_outage')).status).toBe(202);
    const rows = await a.query(
      `SELECT action FROM user_activities WHERE user_id = $1 AND source = 'client' ORDER BY created_at`,
      [user.id],
    );
    expect(rows).toEqual([{ action: 'sheet.before_outage' }, { action: 'sheet.during_outage' }]);
  });

  it('drains on SIGTERM under load behind the load balancer: no failed request, exit 0', async () => {
    await balancer.waitForStatus([a.url, b.url], 'UP');
    let stopLoad!: () => void;
    const stopped = new Promise<void>((resolve) => (stopLoad = resolve));
    const load = startLoad(
      (signal) =>
        Math.random() < 0.5 ? plans(balancer, signal) : refreshUnknown(balancer, signal),
      { concurrency: 16, stop: stopped },
    );
    const [servedA, servedB] = await Promise.all([balancer.served(a.url), balancer.served(b.url)]);
    await eventually(
      'both processes to serve the load',
      async () =>
        (await balancer.served(a.url)) >= servedA + 50 &&
        (await balancer.served(b.url)) >= servedB + 50,
      { timeoutMs: 10_000 },
    );
    const logBefore = b.output().length;
    const exiting = b.stop('SIGTERM');
    // The balancer takes b out on its failing readiness, while b still serves its drain.
    await balancer.waitForStatus([b.url], 'DOWN');
    const downBeforeExit = b.child.exitCode === null;
    const exit = await exiting;
    await moreAnswers(load, 50, 'after the drained process has exited');
    stopLoad();
    const result = await load.finished;

    expect(exit.code).toBe(0);
    expect(downBeforeExit).toBe(true);
    expect(result.errors).toEqual([]);
    expect(countStatuses(result, 500, 600)).toBe(0);
    expect(countStatuses(result, 200, 300) + (result.statuses.get(401) ?? 0)).toBe(result.total);
    expect(await balancer.status(a.url)).toBe('UP');
    const shutdownLog = b.output().slice(logBefore);
    expect(shutdownLog).toContain('Not ready: lifecycle down');
    expect(shutdownLog).not.toMatch(/"level":"(error|fatal)"/);
  });
});
