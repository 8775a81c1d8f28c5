import { Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import type Stripe from 'stripe';
import type { BillingAccount } from '../subscriptions/billing-account.js';
import { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import { UsersService } from '../users/users.service.js';
import { WorkspacesService } from '../workspaces/workspaces.service.js';
import { callStripe, STRIPE } from './stripe.client.js';

/**
 * The billing account a caller acts on: their own, or (with a workspace id) the workspace's,
 * which only its owners and admins manage (a non-member gets 404, a member 403). Without
 * Stripe configured every billing route answers 503, as the contract says.
 */
@Injectable()
export class BillingAccountsService {
  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe | null,
    private readonly subscriptions: SubscriptionsService,
    private readonly workspaces: WorkspacesService,
    private readonly users: UsersService,
  ) {}

  async forCaller(
    userId: string,
    workspaceId?: string,
    { verified = false }: { verified?: boolean } = {},
  ): Promise<BillingAccount> {
    if (!this.stripe) throw new ServiceUnavailableException('Billing is not configured');
    // Where money moves, the caller's address must be verified (403 email_not_verified).
    if (verified) await this.users.assertEmailVerified(userId);
    if (workspaceId) {
      await this.workspaces.assertCanManageBilling(workspaceId, userId);
      return this.subscriptions.workspaceBillingAccount(workspaceId);
    }
    const account = await this.subscriptions.billingAccount(userId);
    if (!account) throw new NotFoundException('Subscription not found');
    return account;
  }

  /** The account's Stripe customer, created once (for a user, or for a workspace). */
  async customerFor(account: BillingAccount): Promise<string> {
    if (account.stripeCustomerId) return account.stripeCustomerId;
    const owner: { metadata: Record<string, string>; key: string } = account.workspaceId
      ? { metadata: { workspaceId: account.workspaceId }, key: `workspace-${account.workspaceId}` }
      : { metadata: { userId: account.userId! }, key: `user-${account.userId}` };
    const email = account.userId ? (await this.users.findById(account.userId))?.email : undefined;
    // The idempotency key makes concurrent checkouts of one account create one customer.
    const customer = await callStripe(() =>
      this.stripe!.customers.create(
        { email, metadata: owner.metadata },
        { idempotencyKey: `customer-for-${owner.key}` },
      ),
    );
    return this.subscriptions.claimStripeCustomer(account, customer.id);
  }

  /** What a subscription of the account bills: the workspace's members, or one seat. */
  seats(account: BillingAccount): Promise<number> {
    return account.workspaceId
      ? this.workspaces.memberCount(account.workspaceId)
      : Promise.resolve(1);
  }
}
