import type Stripe from 'stripe';
import type { StripeSubscriptionSnapshot } from '../subscriptions/billing-account.js';
import type { PlanId } from '../subscriptions/plan-catalogue.js';
import { isSubscriptionStatus, LIVE_STATUSES } from '../subscriptions/subscription-status.js';

/** Precedence of a status: live ones in LIVE_STATUSES order, then every ended one. */
function rank(status: string): number {
  const index = (LIVE_STATUSES as readonly string[]).indexOf(status);
  return index === -1 ? LIVE_STATUSES.length : index;
}

/**
 * The subscription that defines the user's state now: of all the customer's subscriptions,
 * the live one (in LIVE_STATUSES order), else the newest ended one. An old subscription's
 * late event cannot undo a newer one.
 */
export function definingSubscription(
  candidates: readonly Stripe.Subscription[],
): Stripe.Subscription | undefined {
  return [...candidates].sort(
    (a, b) => rank(a.status) - rank(b.status) || b.created - a.created,
  )[0];
}

/**
 * Stripe's state as the subscriptions module stores it. A status this code does not know
 * grants nothing ('incomplete'); a price that matches no plan is the free plan.
 */
export function stripeSnapshot(
  candidates: readonly Stripe.Subscription[],
  planForPrice: (priceId: string | null) => PlanId | undefined,
): StripeSubscriptionSnapshot {
  const subscription = definingSubscription(candidates);
  if (!subscription) return { kind: 'none' };
  const item = subscription.items.data[0];
  const priceId = item?.price?.id ?? null;
  return {
    kind: 'subscription',
    plan: planForPrice(priceId) ?? 'free',
    status: isSubscriptionStatus(subscription.status) ? subscription.status : 'incomplete',
    subscriptionId: subscription.id,
    customerId:
      typeof subscription.customer === 'string' ? subscription.customer : subscription.customer.id,
    priceId,
    quantity: item?.quantity ?? null,
    currentPeriodStart: item ? new Date(item.current_period_start * 1000) : null,
    currentPeriodEnd: item ? new Date(item.current_period_end * 1000) : null,
    cancelAtPeriodEnd: subscription.cancel_at_period_end,
  };
}
