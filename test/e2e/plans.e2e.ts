import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('GET /api/v1/plans', () => {
  let api: TestApp;
  beforeAll(async () => {
    api = await startTestApp({ env: { STRIPE_PRICE_PRO_MONTHLY: 'price_pro_month' } });
  });
  afterAll(() => api.close());

  it('serves the public catalogue with cache headers', async () => {
    const response = await api.fetch('/api/v1/plans');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toMatch(/^public, max-age=\d+/);
    const plans = (await response.json()) as {
      id: string;
      prices: Record<string, { available: boolean }>;
    }[];
    expect(plans.map((plan) => plan.id)).toEqual(['free', 'pro', 'business']);
    const pro = plans[1];
    expect(pro).toMatchObject({
      name: 'Pro',
      features: { ai_insights: true },
      limits: { analyses_per_day: 200 },
    });
    expect(pro.prices.month.available).toBe(true);
    expect(pro.prices.year.available).toBe(false);
    expect(JSON.stringify(plans)).not.toContain('price_pro_month');
  });
});
