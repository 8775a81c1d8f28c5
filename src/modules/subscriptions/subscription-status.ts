/** Stripe's subscription statuses; a free plan without Stripe is 'active'. */
export const SUBSCRIPTION_STATUSES = [
  'active',
  'trialing',
  'past_due',
  'incomplete',
  'incomplete_expired',
  'unpaid',
  'canceled',
  'paused',
] as const;

export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/**
 * The statuses of a subscription that still exists at Stripe (it can come back to life, so
 * a second one must not be opened), in order of precedence when a customer has several: the
 * first decides the user's state. incomplete_expired and canceled are ended.
 */
export const LIVE_STATUSES = [
  'active',
  'trialing',
  'past_due',
  'unpaid',
  'paused',
  'incomplete',
] as const satisfies readonly SubscriptionStatus[];

export function isSubscriptionStatus(status: string): status is SubscriptionStatus {
  return (SUBSCRIPTION_STATUSES as readonly string[]).includes(status);
}

export function isLiveStatus(status: string): boolean {
  return (LIVE_STATUSES as readonly string[]).includes(status);
}
