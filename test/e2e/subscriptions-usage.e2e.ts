import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Module } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { DomainEvent } from '../../src/common/events/domain-events.js';
import { RequiresFeature } from '../../src/modules/subscriptions/requires-feature.guard.js';
import { SubscriptionsModule } from '../../src/modules/subscriptions/subscriptions.module.js';
import {
  bearer,
  createAdmin,
  registerUser,
  type RegisteredUser,
} from '../factories/users.factory.js';
import { ManualClock } from '../support/manual-clock.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

@Controller('probe-features')
class FeatureProbeController {
  @Get('insights')
  @RequiresFeature('ai_insights')
  insights(): { ok: true } {
    return { ok: true };
  }
}

@Module({ imports: [SubscriptionsModule], controllers: [FeatureProbeController] })
class FeatureProbeModule {}

describe('subscriptions, entitlements and usage', () => {
  let api: TestApp;
  let admin: RegisteredUser;
  const events: DomainEvent[] = [];
  const clock = new ManualClock();

  beforeAll(async () => {
    api = await startTestApp({ imports: [FeatureProbeModule], clock });
    api.app.get(EventEmitter2).onAny((_name: string | string[], event: DomainEvent) => {
      events.push(event);
    });
    admin = await createAdmin(api);
  });
  afterAll(() => api.close());

  const grant = (userId: string, body: unknown) =>
    api.fetch(`/api/v1/admin/users/${userId}/subscription`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const consume = (token: string, feature: string) =>
    api.fetch(`/api/v1/usage/${feature}`, { method: 'POST', ...bearer(token) });

  it('GET /subscriptions/me shows the free plan with its features and limits', async () => {
    const user = await registerUser(api);
    const response = await api.fetch('/api/v1/subscriptions/me', bearer(user.accessToken));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      plan: 'free',
      source: 'free',
      status: 'active',
      features: { ai_insights: false },
      limits: { analyses_per_day: 10, ai_queries_per_day: 0 },
    });
  });

  it('@RequiresFeature answers 403 feature_not_in_plan, and lets a plan with the feature in', async () => {
    const user = await registerUser(api);
    const refused = await api.fetch('/api/v1/probe-features/insights', bearer(user.accessToken));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ statusCode: 403, error: 'feature_not_in_plan' });

    expect((await grant(user.id, { plan: 'pro' })).status).toBe(200);
    const allowed = await api.fetch('/api/v1/probe-features/insights', bearer(user.accessToken));
    expect(allowed.status).toBe(200);
  });

  it('an admin grant changes the plan at once, is marked manual and publishes a plan change', async () => {
    const user = await registerUser(api);
    expect((await api.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(200);
    const until = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const response = await grant(user.id, { plan: 'business', currentPeriodEnd: until });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      plan: 'business',
      source: 'manual',
      manualUntil: until,
    });
    const me = (await (await api.fetch('/api/v1/users/me', bearer(user.accessToken))).json()) as {
      subscription: { plan: string };
    };
    expect(me.subscription.plan).toBe('business');
    expect(
      events.find((event) => event.name === 'billing.plan_changed' && event.userId === user.id),
    ).toMatchObject({
      metadata: { from: 'free', to: 'business', source: 'manual', by: admin.id },
    });
    const back = await grant(user.id, { plan: 'free' });
    expect(await back.json()).toMatchObject({ plan: 'free', source: 'free' });
  });

  it('shows the end of a grant in the profile as soon as it ends', async () => {
    const user = await registerUser(api);
    const until = new Date(Date.now() + 1500).toISOString();
    await grant(user.id, { plan: 'pro', currentPeriodEnd: until });
    const profile = async () =>
      (
        (await (await api.fetch('/api/v1/users/me', bearer(user.accessToken))).json()) as {
          subscription: { plan: string };
        }
      ).subscription.plan;
    expect(await profile()).toBe('pro');
    clock.advance(1800);
    expect(await profile()).toBe('free');
    const me = (await (
      await api.fetch('/api/v1/subscriptions/me', bearer(user.accessToken))
    ).json()) as { plan: string };
    expect(me.plan).toBe('free');
  });

  it('grant validation: past end date, unknown plan, non-admin', async () => {
    const user = await registerUser(api);
    expect(
      (await grant(user.id, { plan: 'pro', currentPeriodEnd: '2001-01-01T00:00:00Z' })).status,
    ).toBe(400);
    expect((await grant(user.id, { plan: 'gold' })).status).toBe(400);
    const asUser = await api.fetch(`/api/v1/admin/users/${user.id}/subscription`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ plan: 'pro' }),
    });
    expect(asUser.status).toBe(403);
  });

  it('consumes exactly the limit under 200 concurrent calls, then answers 402 quota_exceeded', async () => {
    const user = await registerUser(api);
    const responses = await Promise.all(
      Array.from({ length: 200 }, () => consume(user.accessToken, 'analyses')),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 402)).toHaveLength(190);
    const refused = responses.find((response) => response.status === 402)!;
    expect(await refused.json()).toMatchObject({ statusCode: 402, error: 'quota_exceeded' });
    const [row] = await api.query<{ used: number }>(
      `SELECT used FROM usage_counters WHERE user_id = $1`,
      [user.id],
    );
    expect(row.used).toBe(10);
  });

  it('returns the counter with its reset time, and lists all counters', async () => {
    const user = await registerUser(api);
    const response = await consume(user.accessToken, 'analyses');
    expect(response.status).toBe(200);
    const counter = (await response.json()) as { resetsAt: string };
    expect(counter).toMatchObject({ feature: 'analyses', used: 1, limit: 10, remaining: 9 });
    const resetsAt = new Date(counter.resetsAt);
    expect(resetsAt.getUTCHours()).toBe(0);
    expect(resetsAt.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);
    const list = await api.fetch('/api/v1/usage', bearer(user.accessToken));
    expect(await list.json()).toEqual([
      { feature: 'analyses', used: 1, limit: 10, remaining: 9, resetsAt: counter.resetsAt },
      { feature: 'ai_queries', used: 0, limit: 0, remaining: 0, resetsAt: counter.resetsAt },
    ]);
  });

  it('refuses a metered feature outside the plan (403) and an unknown one (404)', async () => {
    const user = await registerUser(api);
    const refused = await consume(user.accessToken, 'ai_queries');
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'feature_not_in_plan' });
    expect((await consume(user.accessToken, 'teleport')).status).toBe(404);
    expect((await consume(user.accessToken, '__proto__')).status).toBe(404);
  });

  it('applies a higher limit as soon as the plan changes', async () => {
    const user = await registerUser(api);
    for (let i = 0; i < 10; i++) await consume(user.accessToken, 'analyses');
    expect((await consume(user.accessToken, 'analyses')).status).toBe(402);
    await grant(user.id, { plan: 'pro' });
    expect((await consume(user.accessToken, 'analyses')).status).toBe(200);
    expect((await consume(user.accessToken, 'ai_queries')).status).toBe(200);
  });
});
