import { describe, expect, it } from '@jest/globals';
import { bestOf, entitlementsOf, type SubscriptionState } from './entitlements.js';
import type { SubscriptionStatus } from './subscription.entity.js';

const NOW = new Date('2026-06-15T12:00:00Z');
const DAY = 86_400_000;
const at = (days: number) => new Date(NOW.getTime() + days * DAY);

function state(overrides: Partial<SubscriptionState> = {}): SubscriptionState {
  return {
    plan: 'pro',
    status: 'active',
    currentPeriodEnd: at(10),
    cancelAtPeriodEnd: false,
    manualPlan: null,
    manualUntil: null,
    ...overrides,
  };
}

describe(entitlementsOf.name, () => {
  it.each<[SubscriptionStatus, string]>([
    ['active', 'pro'],
    ['trialing', 'pro'],
    ['past_due', 'pro'],
    ['incomplete', 'free'],
    ['incomplete_expired', 'free'],
    ['unpaid', 'free'],
    ['canceled', 'free'],
    ['paused', 'free'],
  ])('%s grants %s', (status, plan) => {
    expect(entitlementsOf(state({ status }), NOW, 7).plan).toBe(plan);
  });

  it('keeps the plan until the period ends when cancelling at period end', () => {
    expect(entitlementsOf(state({ cancelAtPeriodEnd: true }), NOW, 7).plan).toBe('pro');
    expect(
      entitlementsOf(state({ cancelAtPeriodEnd: true, currentPeriodEnd: at(-1) }), NOW, 7).plan,
    ).toBe('free');
  });

  it('keeps a past_due plan for the grace period after the period end, then not', () => {
    expect(
      entitlementsOf(state({ status: 'past_due', currentPeriodEnd: at(-6) }), NOW, 7).plan,
    ).toBe('pro');
    expect(
      entitlementsOf(state({ status: 'past_due', currentPeriodEnd: at(-8) }), NOW, 7).plan,
    ).toBe('free');
    expect(
      entitlementsOf(state({ status: 'past_due', currentPeriodEnd: at(-1) }), NOW, 0).plan,
    ).toBe('free');
  });

  it('lets an active manual grant outrank Stripe, and not once it ended', () => {
    const granted = state({ status: 'canceled', manualPlan: 'business', manualUntil: at(3) });
    expect(entitlementsOf(granted, NOW, 7)).toMatchObject({ plan: 'business', source: 'manual' });
    expect(entitlementsOf({ ...granted, manualUntil: at(-1) }, NOW, 7)).toMatchObject({
      plan: 'free',
      source: 'free',
    });
    expect(entitlementsOf({ ...granted, manualUntil: null }, NOW, 7).plan).toBe('business');
  });

  it('returns the plan catalogue features and limits', () => {
    const pro = entitlementsOf(state(), NOW, 7);
    expect(pro.features.ai_insights).toBe(true);
    expect(pro.limits.analyses_per_day).toBe(200);
    expect(entitlementsOf(state({ plan: 'free' }), NOW, 7).features.ai_insights).toBe(false);
  });
});

describe(bestOf.name, () => {
  const entitle = (value: SubscriptionState) => entitlementsOf(value, NOW, 7);
  const free = state({ plan: 'free', currentPeriodEnd: null });

  it("takes a workspace's better plan and says which workspace grants it", () => {
    const best = bestOf(
      {
        own: state({ plan: 'pro' }),
        workspaces: [
          { workspaceId: 'w-pro', state: state({ plan: 'pro' }) },
          { workspaceId: 'w-business', state: state({ plan: 'business' }) },
        ],
      },
      entitle,
    );
    expect(best.entitlements.plan).toBe('business');
    expect(best.workspaceId).toBe('w-business');
  });

  it("keeps the user's own subscription on a tie", () => {
    const best = bestOf(
      { own: state({ plan: 'pro' }), workspaces: [{ workspaceId: 'w', state: state() }] },
      entitle,
    );
    expect(best.workspaceId).toBeNull();
    expect(best.entitlements.plan).toBe('pro');
  });

  it('ignores a workspace subscription that grants nothing now (canceled, past its period)', () => {
    const best = bestOf(
      {
        own: free,
        workspaces: [
          { workspaceId: 'w1', state: state({ plan: 'business', status: 'canceled' }) },
          {
            workspaceId: 'w2',
            state: state({ plan: 'business', cancelAtPeriodEnd: true, currentPeriodEnd: at(-1) }),
          },
        ],
      },
      entitle,
    );
    expect(best.entitlements.plan).toBe('free');
    expect(best.workspaceId).toBeNull();
  });

  it('grants a trialing workspace plan', () => {
    const best = bestOf(
      {
        own: free,
        workspaces: [{ workspaceId: 'w', state: state({ plan: 'business', status: 'trialing' }) }],
      },
      entitle,
    );
    expect(best.entitlements.plan).toBe('business');
  });
});
