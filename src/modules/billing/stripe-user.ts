import type Stripe from 'stripe';
import type { SubscriptionsService } from '../subscriptions/subscriptions.service.js';

/** The lookups that tie a Stripe object to a user. */
export type StripeUserLookup = Pick<SubscriptionsService, 'exists' | 'userIdForStripeCustomer'>;

/**
 * The user a Stripe subscription (or invoice) belongs to: the user in its metadata (set at
 * checkout) while they exist, else whoever holds its customer.
 */
export async function userForStripe(
  users: StripeUserLookup,
  owner: {
    metadata?: Stripe.Metadata | null;
    customer?: string | { id: string } | null;
  },
): Promise<string | undefined> {
  const fromMetadata = owner.metadata?.userId;
  if (await users.exists(fromMetadata)) return fromMetadata;
  const customer = typeof owner.customer === 'string' ? owner.customer : owner.customer?.id;
  return customer ? users.userIdForStripeCustomer(customer) : undefined;
}
