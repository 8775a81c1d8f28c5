import { Inject, Injectable, Logger } from '@nestjs/common';
import type Stripe from 'stripe';
import type { EntityManager } from 'typeorm';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { AppConfig } from '../../config/app-config.js';
import type {
  BillingAccount,
  ChangeCause,
  StripeSubscriptionSnapshot,
} from '../subscriptions/billing-account.js';
import { planForPrice, type PlanId } from '../subscriptions/plan-catalogue.js';
import type { SubscriptionStatus } from '../subscriptions/subscription-status.js';
import { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import { callStripe, STRIPE } from './stripe.client.js';
import { stripeSnapshot } from './stripe-snapshot.js';

const SYSTEM: RequestMeta = { ip: null, userAgent: 'stripe' };

export interface SyncResult {
  accountId: string;
  applied: boolean;
  plan: PlanId;
  status: SubscriptionStatus;
  seats: number | null;
}

/**
 * Makes an account's subscription row (a user's or a workspace's) equal to Stripe's current state. Whatever the event that
 * triggered it, the customer's subscriptions are fetched again from Stripe, first and outside
 * any transaction, and the resulting snapshot is written in one short transaction, so any
 * delivery order, duplicates and same-second events all end in Stripe's latest state. Two
 * syncs of one account may overlap (two webhook deliveries, two instances): the one that began
 * later wins, see SubscriptionsService.applyBillingSnapshot.
 */
@Injectable()
export class SubscriptionSyncService {
  private readonly logger = new Logger(SubscriptionSyncService.name);

  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe | null,
    private readonly subscriptions: SubscriptionsService,
    private readonly config: AppConfig,
  ) {}

  /**
   * Syncs one account, with a hint of the Stripe subscription the event was about. `claim`
   * runs in the applying transaction first and may refuse (a duplicate webhook event).
   */
  async sync(
    accountId: string,
    hintId: string | null,
    cause: ChangeCause,
    claim?: (manager: EntityManager) => Promise<boolean>,
    meta: RequestMeta = SYSTEM,
  ): Promise<SyncResult> {
    const sync = await this.subscriptions.startBillingSync(accountId);
    const snapshot = await this.fetch(sync.account, hintId);
    const outcome = await this.subscriptions.applyBillingSnapshot(
      sync,
      snapshot,
      meta,
      cause,
      claim,
    );
    return {
      accountId,
      applied: outcome.claimed,
      plan: outcome.plan,
      status: outcome.status,
      seats: outcome.seats,
    };
  }

  /**
   * Stripe's state of the account: every subscription of its customer, and the hinted one.
   * Once the account has a customer, a subscription of another customer is never taken (an
   * event names its account through metadata, which is not proof of whose it is): it would
   * move the account's billing, portal and invoices to that customer.
   */
  private async fetch(
    account: BillingAccount,
    hintId: string | null,
  ): Promise<StripeSubscriptionSnapshot> {
    const customer = account.stripeCustomerId;
    const candidates: Stripe.Subscription[] = [];
    if (customer) {
      await callStripe(async () => {
        for await (const subscription of this.client().subscriptions.list({
          customer,
          status: 'all',
          limit: 100,
        })) {
          candidates.push(subscription);
        }
      });
    }
    for (const id of [hintId, account.stripeSubscriptionId]) {
      if (id && !candidates.some((candidate) => candidate.id === id)) {
        const found = await this.retrieve(id);
        if (found && (!customer || customerIdOf(found) === customer)) candidates.push(found);
        else if (found)
          this.logger.warn({
            msg: "Stripe subscription of another customer than the account's ignored",
            account: account.id,
            subscription: found.id,
          });
      }
    }
    const snapshot = stripeSnapshot(candidates, (price) => planForPrice(this.config, price));
    if (snapshot.kind === 'subscription' && !planForPrice(this.config, snapshot.priceId)) {
      this.logger.warn({
        msg: 'Stripe price matches no plan',
        priceId: snapshot.priceId,
        subscription: snapshot.subscriptionId,
      });
    }
    return snapshot;
  }

  private async retrieve(id: string): Promise<Stripe.Subscription | null> {
    try {
      return await callStripe(() => this.client().subscriptions.retrieve(id));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return null;
      throw error;
    }
  }

  private client(): Stripe {
    if (!this.stripe) throw new Error('Stripe is not configured');
    return this.stripe;
  }
}

function customerIdOf(subscription: Stripe.Subscription): string {
  return typeof subscription.customer === 'string'
    ? subscription.customer
    : subscription.customer.id;
}
