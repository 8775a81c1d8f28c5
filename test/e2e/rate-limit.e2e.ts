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

// Issue 10, item 7: a bearer token never lifts the per-address limit. Public routes count per
// client address only; an authenticated request counts against its user's budget and its
// address's budget (the one anonymous requests use), and is refused when either is used up.
describe.each([
  ['in process', undefined],
  ['in Redis', TEST_REDIS_URL],
])('rate limit per address, and per user as well once authenticated (%s)', (_name, redisUrl) => {
  let api: TestApp;
  beforeAll(async () => {
    api = await startTestApp({ env: { RATE_LIMIT_MAX_REQUESTS: '3', REDIS_URL: redisUrl } });
  });
  afterAll(() => api.close());

  const statusesOf = async (calls: (() => Promise<Response>)[]) => {
    const result: number[] = [];
    for (const call of calls) result.push((await call()).status);
    return result;
  };

  it('keeps a public route limited per address when the caller adds a valid token', async () => {
    const user = await registerUser(api);
    const address = { 'x-forwarded-for': '192.0.2.70' };
    const plans = (headers: Record<string, string> = {}) =>
      api.fetch('/api/v1/plans', { headers: { ...address, ...headers } });
    expect(await statusesOf([plans, plans, plans, plans])).toEqual([200, 200, 200, 429]);

    const withToken = { authorization: `Bearer ${user.accessToken}` };
    expect((await plans(withToken)).status).toBe(429);
    const post = (path: string, body: unknown) =>
      api.fetch(path, json(body, { ...address, ...withToken }));
    expect(
      (await post('/api/v1/auth/login', { email: user.email, password: user.password })).status,
    ).toBe(429);
    expect((await post('/api/v1/auth/password/forgot', { email: user.email })).status).toBe(429);
  });

  it('counts an authenticated request against its user and its address', async () => {
    const a = await registerUser(api);
    const b = await registerUser(api);
    const me = (token: string, address: string) =>
      api.fetch('/api/v1/users/me', bearer(token, { 'x-forwarded-for': address }));
    expect(
      await statusesOf([
        () => me(a.accessToken, '192.0.2.77'),
        () => me(a.accessToken, '192.0.2.77'),
        () => me(a.accessToken, '192.0.2.77'),
        () => me(a.accessToken, '192.0.2.77'),
      ]),
    ).toEqual([200, 200, 200, 429]);
    // The user's budget is spent, from any address.
    expect((await me(a.accessToken, '192.0.2.78')).status).toBe(429);
    // The address's budget is spent, for any user and for anonymous callers.
    expect((await me(b.accessToken, '192.0.2.77')).status).toBe(429);
    expect(
      (await api.fetch('/api/v1/plans', { headers: { 'x-forwarded-for': '192.0.2.77' } })).status,
    ).toBe(429);
    expect((await me(b.accessToken, '192.0.2.79')).status).toBe(200);
  });
});
