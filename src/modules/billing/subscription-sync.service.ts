import { Inject, Injectable, Logger } from '@nestjs/common';
import type Stripe from 'stripe';
import type { EntityManager } from 'typeorm';
import { isUuid } from '../../common/text/identifiers.js';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { AppConfig } from '../../config/app-config.js';
import { planForPrice } from '../subscriptions/plan-catalogue.js';
import type {
  PlanId,
  Subscription,
  SubscriptionStatus,
} from '../subscriptions/subscription.entity.js';
import { SubscriptionsRepository } from '../subscriptions/subscriptions.repository.js';
import { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import { callStripe, STRIPE } from './stripe.client.js';

const SYSTEM: RequestMeta = { ip: null, userAgent: 'stripe' };
const KNOWN_STATUSES: SubscriptionStatus[] = [
  'active',
  'trialing',
  'past_due',
  'incomplete',
  'incomplete_expired',
  'unpaid',
  'canceled',
  'paused',
];

export interface SyncResult {
  userId: string;
  applied: boolean;
  plan: PlanId;
  status: SubscriptionStatus;
}

/**
 * Makes a user's subscription row equal to Stripe's current state. Whatever the event that
 * triggered it, the subscription is fetched again from Stripe under the row lock and the
 * whole row written, so any delivery order, duplicates and same-second events all end in
 * Stripe's latest state.
 */
@Injectable()
export class SubscriptionSyncService {
  private readonly logger = new Logger(SubscriptionSyncService.name);

  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe | null,
    private readonly subscriptions: SubscriptionsService,
    private readonly rows: SubscriptionsRepository,
    private readonly config: AppConfig,
  ) {}

  /**
   * Syncs one user from one Stripe subscription (or from none: back to free). `claim` runs in
   * the same transaction first and may refuse (a duplicate webhook event).
   */
  async sync(
    userId: string,
    stripeSubscriptionId: string | null,
    claim?: (manager: EntityManager) => Promise<boolean>,
    meta: RequestMeta = SYSTEM,
  ): Promise<SyncResult> {
    let result: Pick<SyncResult, 'plan' | 'status'> = { plan: 'free', status: 'active' };
    const applied = await this.subscriptions.change(
      userId,
      meta,
      async (manager, current) => {
        const remote = await this.current(current, stripeSubscriptionId);
        const fields = this.fieldsFrom(remote, current);
        result = { plan: fields.plan, status: fields.status };
        await this.rows.update(manager, userId, fields);
        return {
          source: 'stripe',
          stripeSubscriptionId: remote?.id ?? null,
          status: fields.status,
        };
      },
      claim,
    );
    return { userId, applied, ...result };
  }

  /** Whether a user (still) has a subscription row: erased users do not. */
  async exists(userId: string | null | undefined): Promise<boolean> {
    return isUuid(userId) && (await this.rows.findByUserId(userId)) !== null;
  }

  /** The user a Stripe subscription belongs to: its metadata, or its customer. */
  async userFor(subscription: {
    metadata?: Stripe.Metadata | null;
    customer?: string | { id: string } | null;
  }) {
    const fromMetadata = subscription.metadata?.userId;
    if (await this.exists(fromMetadata)) return fromMetadata;
    const customer =
      typeof subscription.customer === 'string' ? subscription.customer : subscription.customer?.id;
    if (!customer) return undefined;
    return (await this.rows.findByStripeCustomerId(customer))?.userId;
  }

  /**
   * The subscription that defines the user's state now: of all the customer's subscriptions,
   * the live one (active, trialing, past_due, unpaid, paused, incomplete, in that order),
   * else the newest ended one. An old subscription's late event cannot undo a newer one.
   */
  private async current(
    row: Subscription,
    hintId: string | null,
  ): Promise<Stripe.Subscription | null> {
    const customer = row.stripeCustomerId;
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
    for (const id of [hintId, row.stripeSubscriptionId]) {
      if (id && !candidates.some((candidate) => candidate.id === id)) {
        const found = await this.retrieve(id);
        if (found) candidates.push(found);
      }
    }
    const rank = (status: string) => {
      const order = ['active', 'trialing', 'past_due', 'unpaid', 'paused', 'incomplete'];
      const index = order.indexOf(status);
      return index === -1 ? order.length : index;
    };
    candidates.sort((a, b) => rank(a.status) - rank(b.status) || b.created - a.created);
    return candidates[0] ?? null;
  }

  async retrieve(id: string): Promise<Stripe.Subscription | null> {
    try {
      return await callStripe(() => this.client().subscriptions.retrieve(id));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return null;
      throw error;
    }
  }

  private fieldsFrom(remote: Stripe.Subscription | null, current: Subscription) {
    if (!remote) {
      return {
        plan: 'free' as PlanId,
        status: (current.stripeSubscriptionId ? 'canceled' : 'active') as SubscriptionStatus,
        stripePriceId: null,
        currentPeriodStart: null,
        currentPeriodEnd: null,
        cancelAtPeriodEnd: false,
      };
    }
    const item = remote.items.data[0];
    const priceId = item?.price?.id ?? null;
    const plan = planForPrice(this.config, priceId);
    if (!plan)
      this.logger.warn({ msg: 'Stripe price matches no plan', priceId, subscription: remote.id });
    const status = KNOWN_STATUSES.includes(remote.status as SubscriptionStatus)
      ? (remote.status as SubscriptionStatus)
      : 'incomplete';
    const customer = typeof remote.customer === 'string' ? remote.customer : remote.customer.id;
    return {
      plan: plan ?? ('free' as PlanId),
      status,
      stripeSubscriptionId: remote.id,
      stripeCustomerId: customer,
      stripePriceId: priceId,
      currentPeriodStart: item ? new Date(item.current_period_start * 1000) : null,
      currentPeriodEnd: item ? new Date(item.current_period_end * 1000) : null,
      cancelAtPeriodEnd: remote.cancel_at_period_end,
    };
  }

  private client(): Stripe {
    if (!this.stripe) throw new Error('Stripe is not configured');
    return this.stripe;
  }
}
