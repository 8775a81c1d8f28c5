import { describe, expect, it } from '@jest/globals';
import type { SubscriptionChange } from './subscriptions.repository.js';
import { timelineEntryOf } from './timeline.js';

function change(overrides: Partial<SubscriptionChange>): SubscriptionChange {
  return {
    subscriptionId: 's',
    occurredAt: new Date('2026-11-01T10:00:00Z'),
    cause: 'stripe',
    stripeEventId: 'evt_1',
    stripeEventType: 'customer.subscription.updated',
    actorId: null,
    fromPlan: 'pro',
    toPlan: 'pro',
    fromStatus: 'active',
    toStatus: 'active',
    detail: {},
    ...overrides,
  };
}

describe(timelineEntryOf.name, () => {
  it('names a plan change and a status change, with the event type, and no event id', () => {
    const entry = timelineEntryOf(
      change({ fromPlan: 'free', toPlan: 'business', fromStatus: 'active', toStatus: 'trialing' }),
    );
    expect(entry).toEqual({
      occurredAt: new Date('2026-11-01T10:00:00Z'),
      cause: 'stripe',
      stripeEventType: 'customer.subscription.updated',
      from: { plan: 'free', status: 'active' },
      to: { plan: 'business', status: 'trialing' },
      summary: 'Plan changed from Free to Business; Subscription in trial',
    });
  });

  it('describes seats, a cancellation at period end and a renewal', () => {
    expect(timelineEntryOf(change({ detail: { seats: { from: 2, to: 3 } } })).summary).toBe(
      'Seats: 2 to 3',
    );
    expect(timelineEntryOf(change({ detail: { cancelAtPeriodEnd: true } })).summary).toBe(
      'Set to cancel at the end of the period',
    );
    expect(
      timelineEntryOf(change({ detail: { currentPeriodEnd: '2026-12-01T10:00:00.000Z' } })).summary,
    ).toBe('Renewed until 2026-12-01');
  });

  it("describes an administrator's grant and its removal without naming the administrator", () => {
    const granted = timelineEntryOf(
      change({
        cause: 'manual',
        actorId: 'admin-id',
        stripeEventType: null,
        detail: { manualGrant: { plan: 'business', until: '2027-01-31T00:00:00.000Z' } },
      }),
    );
    expect(granted.cause).toBe('admin_grant');
    expect(granted.summary).toBe('Business granted by an administrator until 2027-01-31');
    expect(JSON.stringify(granted)).not.toContain('admin-id');
    expect(
      timelineEntryOf(
        change({ cause: 'manual', detail: { manualGrant: { plan: null, until: null } } }),
      ).summary,
    ).toBe("An administrator's grant ended");
  });
});
