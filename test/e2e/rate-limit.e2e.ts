import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bearer, registerUser } from '../factories/users.factory.js';
import { ProbeModule } from '../support/probe.module.js';
import { json, startTestApp, TEST_REDIS_URL, type TestApp } from '../support/test-app.js';

const ROUTE = '/api/v1/probe/echo';

async function statuses(
  api: TestApp,
  count: number,
  headers: Record<string, string> = {},
): Promise<number[]> {
  const result: number[] = [];
  for (let i = 0; i < count; i++)
    result.push((await api.fetch(ROUTE, json({ name: 'Ada' }, headers))).status);
  return result;
}

describe.each([
  ['in process', undefined],
  ['in Redis', TEST_REDIS_URL],
])('global rate limit (%s)', (_name, redisUrl) => {
  let api: TestApp;
  beforeAll(async () => {
    api = await startTestApp({
      imports: [ProbeModule],
      env: {
        RATE_LIMIT_MAX_REQUESTS: '3',
        RATE_LIMIT_WINDOW_MS: '60000',
        REDIS_URL: redisUrl,
        TRUST_PROXY: undefined,
      },
    });
  });
  afterAll(() => api.close());

  it('allows the limit with rate-limit headers, then answers 429 with Retry-After', async () => {
    const first = await api.fetch(ROUTE, json({ name: 'Ada' }));
    expect(first.headers.get('x-ratelimit-limit')).toBe('3');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('2');
    expect(Number(first.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
    expect(await statuses(api, 2)).toEqual([200, 200]);

    const limited = await api.fetch(ROUTE, json({ name: 'Ada' }));
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await limited.json()).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: 'Too many requests, please retry later',
      requestId: limited.headers.get('x-request-id'),
    });
  });

  it('does not let a spoofed X-Forwarded-For, X-Real-IP or Forwarded header reset the limit', async () => {
    expect(
      await statuses(api, 1, {
        'x-forwarded-for': '203.0.113.7',
        'x-real-ip': '203.0.113.8',
        forwarded: 'for=203.0.113.9',
      }),
    ).toEqual([429]);
  });

  it('never limits health probes', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => api.fetch('/health/live')));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
  });
});

describe('rate limit behind a trusted proxy', () => {
  let api: TestApp;
  beforeAll(async () => {
    api = await startTestApp({
      imports: [ProbeModule],
      env: { RATE_LIMIT_MAX_REQUESTS: '2', TRUST_PROXY: '127.0.0.1' },
    });
  });
  afterAll(() => api.close());

  it('counts per client address from X-Forwarded-For when TRUST_PROXY names the hop', async () => {
    expect(await statuses(api, 3, { 'x-forwarded-for': '198.51.100.1' })).toEqual([200, 200, 429]);
    expect(await statuses(api, 1, { 'x-forwarded-for': '198.51.100.2' })).toEqual([200]);
  });
});

describe('rate limit keyed by user once authenticated', () => {
  let api: TestApp;
  beforeAll(async () => {
    api = await startTestApp({ env: { RATE_LIMIT_MAX_REQUESTS: '3' } });
  });
  afterAll(() => api.close());

  it('gives each user their own budget and still counts anonymous callers', async () => {
    const a = await registerUser(api);
    const b = await registerUser(api);
    const sameAddress = { 'x-forwarded-for': '192.0.2.77' };
    const me = (token: string) => api.fetch('/api/v1/users/me', bearer(token, sameAddress));
    const statusesOf = async (calls: (() => Promise<Response>)[]) => {
      const result: number[] = [];
      for (const call of calls) result.push((await call()).status);
      return result;
    };
    expect(
      await statusesOf([() => me(a.accessToken), () => me(a.accessToken), () => me(a.accessToken)]),
    ).toEqual([200, 200, 200]);
    expect((await me(a.accessToken)).status).toBe(429);
    expect((await me(b.accessToken)).status).toBe(200);

    const anonymous = () => api.fetch('/api/v1/users/me', { headers: sameAddress });
    expect(await statusesOf([anonymous, anonymous, anonymous, anonymous])).toEqual([
      401, 401, 401, 429,
    ]);
  });
});
