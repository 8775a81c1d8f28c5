import type { PlanId } from './plan-catalogue.js';
import type { SubscriptionStatus } from './subscription-status.js';

/** What Billing needs to know of a user's subscription row to talk to Stripe. */
export interface BillingAccount {
  userId: string;
  plan: PlanId;
  status: SubscriptionStatus;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  /** When the account was offered its one trial; null: never. */
  trialUsedAt: Date | null;
}

/**
 * Stripe's state of one user, fetched before any transaction: the subscription that defines
 * it, or none (the user is back on free).
 */
export type StripeSubscriptionSnapshot =
  | { kind: 'none' }
  | {
      kind: 'subscription';
      plan: PlanId;
      status: SubscriptionStatus;
      subscriptionId: string;
      customerId: string;
      priceId: string | null;
      currentPeriodStart: Date | null;
      currentPeriodEnd: Date | null;
      cancelAtPeriodEnd: boolean;
    };

/**
 * A sync in progress: the account as it was when the sync began, and its place in the order
 * of all syncs (taken before Stripe is asked, see SubscriptionsService.startBillingSync).
 */
export interface BillingSync {
  account: BillingAccount;
  ticket: number;
}

export interface BillingSyncOutcome {
  /** False when `claim` refused (a duplicate webhook event): nothing was written. */
  claimed: boolean;
  /** True when a sync that began later had already applied a newer state: this one wrote none. */
  superseded: boolean;
  /** The row's Stripe plan and status afterwards. */
  plan: PlanId;
  status: SubscriptionStatus;
}
