import type { PlanId } from './plan-catalogue.js';
import type { SubscriptionStatus } from './subscription-status.js';

/**
 * What Billing needs to know of a subscription row to talk to Stripe. A row belongs to a
 * user (their own plan) or to a workspace (per-seat Business billing): exactly one of
 * `userId` and `workspaceId` is set. `id` is the row's, the key every sync uses.
 */
export interface BillingAccount {
  id: string;
  userId: string | null;
  workspaceId: string | null;
  plan: PlanId;
  status: SubscriptionStatus;
  stripeCustomerId: string | null;
  stripeSubscriptionId: string | null;
  /** The quantity Stripe bills, as last synced (a workspace's seats). */
  seats: number | null;
  /** When the account was offered its one trial; null: never. */
  trialUsedAt: Date | null;
}

/**
 * Stripe's state of one account, fetched before any transaction: the subscription that
 * defines it, or none (the account is back on free).
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
      quantity: number | null;
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
  seats: number | null;
}

/**
 * What caused a change to a subscription, as its timeline shows it: Stripe's state applied
 * (after one of its events, a checkout, an in-app change, a seat update or a
 * reconciliation), or an administrator's grant.
 */
export type ChangeCause =
  | {
      kind: 'stripe';
      via: 'webhook' | 'checkout' | 'change' | 'seats' | 'reconcile';
      eventId?: string;
      eventType?: string;
    }
  | { kind: 'manual'; by: string };

/** A Stripe object's owner as Stripe gives it: metadata set at checkout, and the customer. */
export interface StripeOwner {
  metadata?: Record<string, string> | null;
  customer?: string | { id: string } | null;
}

/**
 * The account a Stripe object belongs to: the workspace or user in its metadata while it
 * has an account, else (for a user) whoever holds its customer. A workspace's object never
 * falls back to the customer: a deleted workspace's late events change nothing.
 */
export async function resolveStripeOwner<T>(
  owner: StripeOwner,
  find: {
    byWorkspace: (workspaceId: string) => Promise<T | null>;
    byUser: (userId: string) => Promise<T | null>;
    byCustomer: (customerId: string) => Promise<T | null>;
  },
  isId: (value: string | undefined) => value is string,
): Promise<T | undefined> {
  const { workspaceId, userId } = owner.metadata ?? {};
  if (isId(workspaceId)) return (await find.byWorkspace(workspaceId)) ?? undefined;
  const named = isId(userId) ? await find.byUser(userId) : null;
  if (named) return named;
  const customer = typeof owner.customer === 'string' ? owner.customer : owner.customer?.id;
  return (customer && (await find.byCustomer(customer))) || undefined;
}
