import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bearer, registerUser } from '../factories/users.factory.js';
import { eventually } from '../support/eventually.js';
import { ProbeModule } from '../support/probe.module.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { json, startTestApp, TEST_REDIS_URL, type TestApp } from '../support/test-app.js';

async function timed<T>(work: Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work;
  return { value, ms: performance.now() - started };
}

async function waitForStatus(api: TestApp, path: string, status: number): Promise<void> {
  await eventually(
    `${path} to answer ${status}`,
    async () => (await api.fetch(path)).status === status,
    { timeoutMs: 10_000, intervalMs: 100 },
  );
}

describe('app with PostgreSQL unreachable', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let api: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    proxy = TcpProxy.forUrl(database.url);
    await proxy.start();
    api = await startTestApp({ databaseUrl: proxy.rewrite(database.url) });
  });
  afterAll(async () => {
    await api.close();
    await proxy.stop();
    await database.drop();
  });

  it('answers ready 503 within 2 s with the failing check named, and recovers by itself', async () => {
    expect((await api.fetch('/health/ready')).status).toBe(200);
    await proxy.stop();

    const { value: response, ms } = await timed(api.fetch('/health/ready'));
    expect(response.status).toBe(503);
    expect(ms).toBeLessThan(2000);
    const body = (await response.json()) as { error: Record<string, { status: string }> };
    expect(body.error.database.status).toBe('down');
    expect((await api.fetch('/health/live')).status).toBe(200);

    await proxy.start();
    await waitForStatus(api, '/health/ready', 200);
  });

  it('answers 503, not 401, to an authenticated request that needs the database while it is away', async () => {
    const user = await registerUser(api);
    await proxy.stop();
    try {
      const { value: response, ms } = await timed(
        api.fetch('/api/v1/users/me', bearer(user.accessToken)),
      );
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBeTruthy();
      expect(ms).toBeLessThan(5000);
    } finally {
      await proxy.start();
    }
    await waitForStatus(api, '/health/ready', 200);
    expect((await api.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(200);
  });
});

describe('app with Redis unreachable', () => {
  let proxy: TcpProxy;
  let api: TestApp;

  beforeAll(async () => {
    proxy = TcpProxy.forUrl(TEST_REDIS_URL);
    await proxy.start();
    api = await startTestApp({
      imports: [ProbeModule],
      env: { REDIS_URL: proxy.rewrite(TEST_REDIS_URL), RATE_LIMIT_MAX_REQUESTS: '1000' },
    });
  });
  afterAll(async () => {
    await api.close();
    await proxy.stop();
  });

  it('reports Redis in readiness, keeps serving rate-limited routes fast while it is down, and uses it again', async () => {
    const healthy = (await (await api.fetch('/health/ready')).json()) as {
      details: Record<string, unknown>;
    };
    expect(healthy.details.redis).toMatchObject({ status: 'up', rateLimits: 'redis' });

    await proxy.stop();
    const { value: ready, ms } = await timed(api.fetch('/health/ready'));
    expect(ready.status).toBe(503);
    expect(ms).toBeLessThan(2000);

    const { value: routed, ms: routeMs } = await timed(
      api.fetch('/api/v1/probe/echo', json({ name: 'Ada' })),
    );
    expect(routed.status).toBe(200);
    expect(routed.headers.get('x-ratelimit-limit')).toBe('1000');
    expect(routeMs).toBeLessThan(1000);

    await proxy.start();
    await waitForStatus(api, '/health/ready', 200);
    await api.fetch('/api/v1/probe/echo', json({ name: 'Ada' }));
    const recovered = (await (await api.fetch('/health/ready')).json()) as {
      details: Record<string, unknown>;
    };
    expect(recovered.details.redis).toMatchObject({ status: 'up', rateLimits: 'redis' });
  });
});
