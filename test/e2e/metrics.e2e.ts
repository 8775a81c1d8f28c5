import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { json, LogCapture, startTestApp, type TestApp } from '../support/test-app.js';

describe('GET /metrics', () => {
  let api: TestApp;
  const logs = new LogCapture();
  const token = 'metrics-token-0123456789abcdef';

  beforeAll(async () => {
    api = await startTestApp({
      env: {
        METRICS_TOKEN: token,
        LOG_LEVEL: 'info',
        RATE_LIMIT_MAX_REQUESTS: '3',
        STRIPE_SECRET_KEY: undefined,
      },
      logDestination: logs,
    });
  });
  afterAll(() => api.close());

  const scrape = (headers: Record<string, string> = { authorization: `Bearer ${token}` }) =>
    api.fetch('/metrics', { headers });

  it('needs the metrics token when one is configured', async () => {
    expect((await scrape({})).status).toBe(401);
    expect((await scrape({ authorization: 'Bearer wrong-token-0123456789abcde' })).status).toBe(
      401,
    );
    expect((await scrape()).status).toBe(200);
  });

  it('exposes requests by route and status, latency, pool, event loop, buffer and webhook metrics', async () => {
    await api.fetch('/api/v1/plans');
    await api.fetch('/api/v1/users/me');
    await api.fetch('/api/v1/billing/webhook', json({}));
    const response = await scrape();
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toMatch(
      /http_requests_total\{method="GET",route="\/api\/v1\/plans",status="200"\} 1/,
    );
    expect(text).toMatch(
      /http_requests_total\{method="GET",route="\/api\/v1\/users\/me",status="401"\} 1/,
    );
    expect(text).toMatch(
      /http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/api\/v1\/plans",status_class="2xx"\}/,
    );
    expect(text).toMatch(/db_pool_connections\{state="idle"\} \d+/);
    expect(text).toMatch(/db_pool_connections\{state="waiting"\} 0/);
    expect(text).toMatch(/nodejs_eventloop_lag_seconds \d/);
    expect(text).toMatch(/activity_buffer_depth \d+/);
    expect(text).toMatch(/activity_flush_failures 0/);
    expect(text).toMatch(/stripe_webhook_events_total\{outcome="failed"\} 1/);
  });

  it('is neither rate limited nor logged per request', async () => {
    const statuses = await Promise.all(Array.from({ length: 6 }, () => scrape()));
    expect(statuses.map((response) => response.status)).toEqual(Array(6).fill(200));
    expect(logs.lines.some((line) => line.route === '/metrics')).toBe(false);
  });
});
