import { describe, expect, it } from '@jest/globals';
import type Stripe from 'stripe';
import type { PlanId } from '../subscriptions/plan-catalogue.js';
import { stripeSnapshot } from './stripe-snapshot.js';

const PRICES: Record<string, PlanId> = { price_pro: 'pro', price_business: 'business' };
const planForPrice = (priceId: string | null) => (priceId ? PRICES[priceId] : undefined);

let sequence = 0;

/** The fields of a Stripe subscription that the snapshot reads. */
function subscription(
  fields: {
    status?: string;
    created?: number;
    price?: string;
    cancelAtPeriodEnd?: boolean;
    quantity?: number;
  } = {},
): Stripe.Subscription {
  sequence++;
  return {
    id: `sub_${sequence}`,
    object: 'subscription',
    customer: 'cus_1',
    status: fields.status ?? 'active',
    created: fields.created ?? 1_700_000_000,
    cancel_at_period_end: fields.cancelAtPeriodEnd ?? false,
    items: {
      object: 'list',
      data: [
        {
          id: `si_${sequence}`,
          quantity: fields.quantity ?? 1,
          current_period_start: 1_700_000_000,
          current_period_end: 1_702_592_000,
          price: { id: fields.price ?? 'price_pro' },
        },
      ],
    },
  } as unknown as Stripe.Subscription;
}

describe(stripeSnapshot.name, () => {
  it('is none without any subscription (the user is back on free)', () => {
    expect(stripeSnapshot([], planForPrice)).toEqual({ kind: 'none' });
  });

  it("maps the subscription's plan, status, ids, quantity, period and cancellation", () => {
    const only = subscription({ price: 'price_business', cancelAtPeriodEnd: true, quantity: 4 });
    expect(stripeSnapshot([only], planForPrice)).toEqual({
      kind: 'subscription',
      plan: 'business',
      status: 'active',
      subscriptionId: only.id,
      customerId: 'cus_1',
      priceId: 'price_business',
      quantity: 4,
      currentPeriodStart: new Date(1_700_000_000_000),
      currentPeriodEnd: new Date(1_702_592_000_000),
      cancelAtPeriodEnd: true,
    });
  });

  it('takes a live subscription over a newer ended one', () => {
    const live = subscription({ status: 'past_due', created: 100 });
    const ended = subscription({ status: 'canceled', created: 200 });
    expect(stripeSnapshot([ended, live], planForPrice)).toMatchObject({
      subscriptionId: live.id,
      status: 'past_due',
    });
  });

  it('ranks live statuses active, trialing, past_due, unpaid, paused, incomplete', () => {
    const order = ['active', 'trialing', 'past_due', 'unpaid', 'paused', 'incomplete'];
    for (let index = 0; index < order.length; index++) {
      const candidates = order
        .slice(index)
        .reverse()
        .map((status) => subscription({ status }));
      expect(stripeSnapshot(candidates, planForPrice)).toMatchObject({ status: order[index] });
    }
  });

  it('takes the newest of equally ranked subscriptions', () => {
    const older = subscription({ status: 'canceled', created: 100 });
    const newer = subscription({ status: 'incomplete_expired', created: 300 });
    const middle = subscription({ status: 'canceled', created: 200 });
    expect(stripeSnapshot([older, newer, middle], planForPrice)).toMatchObject({
      subscriptionId: newer.id,
    });
    const first = subscription({ status: 'active', created: 100 });
    const second = subscription({ status: 'active', created: 101 });
    expect(stripeSnapshot([first, second], planForPrice)).toMatchObject({
      subscriptionId: second.id,
    });
  });

  it("stores a status it does not know as 'incomplete', which grants nothing", () => {
    const future = subscription({ status: 'on_hold_for_review' });
    expect(stripeSnapshot([future], planForPrice)).toMatchObject({ status: 'incomplete' });
  });

  it('gives the free plan for a price that matches no plan, keeping the price', () => {
    const unknown = subscription({ price: 'price_legacy_2019' });
    expect(stripeSnapshot([unknown], planForPrice)).toMatchObject({
      plan: 'free',
      priceId: 'price_legacy_2019',
    });
  });
});
