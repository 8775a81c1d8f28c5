import { Inject, Injectable, ServiceUnavailableException } from '@nestjs/common';
import type Stripe from 'stripe';
import { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import { SeatBillingService } from './seat-billing.service.js';
import { callStripe, STRIPE } from './stripe.client.js';
import { SubscriptionSyncService } from './subscription-sync.service.js';

/** `npm run cli -- billing:reconcile`: our rows made equal to Stripe's state again. */
@Injectable()
export class BillingReconciliationService {
  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe | null,
    private readonly subscriptions: SubscriptionsService,
    private readonly sync: SubscriptionSyncService,
    private readonly seats: SeatBillingService,
  ) {}

  /**
   * Repairs drift: every subscription Stripe holds, and every row that points at Stripe, is
   * synced again. Safe at any time (syncing is idempotent). Returns what changed.
   */
  async reconcile(): Promise<{ account: string; from: string; to: string }[]> {
    const stripe = this.client();
    const accounts = new Map<string, string | null>();
    await callStripe(async () => {
      for await (const subscription of stripe.subscriptions.list({ status: 'all', limit: 100 })) {
        const account = await this.subscriptions.accountForStripe(subscription);
        if (account && !accounts.has(account.id)) accounts.set(account.id, subscription.id);
      }
    });
    for (const account of await this.subscriptions.listLinkedToStripe()) {
      if (!accounts.has(account.id)) accounts.set(account.id, null);
    }
    const changes: { account: string; from: string; to: string }[] = [];
    for (const [accountId, subscriptionId] of accounts) {
      const before = await this.subscriptions.accountById(accountId);
      if (!before) continue;
      const after = await this.sync.sync(accountId, subscriptionId, {
        kind: 'stripe',
        via: 'reconcile',
      });
      const label = before.workspaceId
        ? `workspace ${before.workspaceId}`
        : `user ${before.userId}`;
      const from = `${before.plan}/${before.status}`;
      const to = `${after.plan}/${after.status}`;
      if (from !== to) changes.push({ account: label, from, to });
      if (before.workspaceId) await this.seats.reconcileAfterSync(before.workspaceId, after);
    }
    return changes;
  }

  private client(): Stripe {
    if (!this.stripe) throw new ServiceUnavailableException('Billing is not configured');
    return this.stripe;
  }
}
