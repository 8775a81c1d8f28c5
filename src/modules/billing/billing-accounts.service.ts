import { Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import type Stripe from 'stripe';
import type { BillingAccount } from '../subscriptions/billing-account.js';
import { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import { WorkspacesService } from '../workspaces/workspaces.service.js';
import { STRIPE } from './stripe.client.js';

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
  ) {}

  async forCaller(userId: string, workspaceId?: string): Promise<BillingAccount> {
    if (!this.stripe) throw new ServiceUnavailableException('Billing is not configured');
    if (workspaceId) {
      await this.workspaces.assertCanManageBilling(workspaceId, userId);
      return this.subscriptions.workspaceBillingAccount(workspaceId);
    }
    const account = await this.subscriptions.billingAccount(userId);
    if (!account) throw new NotFoundException('Subscription not found');
    return account;
  }
}
