import { BadRequestException, ConflictException, Inject, Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { Clock } from '../../common/time/clock.js';
import { AppConfig } from '../../config/app-config.js';
import type { BillingAccount } from '../subscriptions/billing-account.js';
import {
  planForPrice,
  stripePriceId,
  type BillingInterval,
} from '../subscriptions/plan-catalogue.js';
import { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import type {
  BillingSubscriptionDto,
  PendingChangeDto,
  PlanChangePreviewDto,
} from './dto/plan-change.dto.js';
import {
  changeKind,
  isUsableProrationDate,
  type ChangeKind,
  type PlanChoice,
} from './plan-change.js';
import { callStripe, STRIPE } from './stripe.client.js';
import { SubscriptionSyncService } from './subscription-sync.service.js';

/** Statuses whose subscription can be changed in the app (others: the portal or checkout). */
const CHANGEABLE = new Set(['active', 'trialing', 'past_due']);

/** A change worked out against Stripe's current subscription. */
interface PlannedChange {
  subscription: Stripe.Subscription;
  item: Stripe.SubscriptionItem;
  customer: string;
  price: string;
  target: PlanChoice;
  kind: ChangeKind;
  /** A downgrade that waits for the end of the period (STRIPE_DOWNGRADE_AT_PERIOD_END). */
  atPeriodEnd: boolean;
  /** The subscription's schedule: a downgrade already waiting. */
  schedule: Stripe.SubscriptionSchedule | null;
}

/**
 * In-app plan changes of a paid subscription. An upgrade applies at once and its prorated
 * difference is invoiced and charged at once (proration_behavior always_invoice, payment
 * pending_if_incomplete: if the charge fails the subscription keeps its old price). A
 * downgrade waits for the end of the paid period through a subscription schedule
 * (STRIPE_DOWNGRADE_AT_PERIOD_END, default) or applies at once with a prorated credit on the
 * next invoice. Choosing the current plan again while a downgrade waits cancels it. After a
 * change our row is synced from Stripe, so the answer shows the new state.
 */
@Injectable()
export class PlanChangeService {
  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe | null,
    private readonly sync: SubscriptionSyncService,
    private readonly subscriptions: SubscriptionsService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /** What the change would cost now and at renewal, from Stripe's invoice preview. */
  async preview(account: BillingAccount, target: PlanChoice): Promise<PlanChangePreviewDto> {
    const change = await this.plan(account, target);
    if (change.kind === 'same') throw this.unchanged();
    const stripe = this.client();
    const prorationDate = this.nowSeconds();
    const behavior = this.prorationBehavior(change);
    const invoice = await callStripe(() =>
      stripe.invoices.createPreview({
        customer: change.customer,
        subscription: change.subscription.id,
        subscription_details: {
          items: [{ id: change.item.id, price: change.price, quantity: change.item.quantity }],
          proration_behavior: behavior,
          proration_date: prorationDate,
        },
      }),
    );
    const lines = invoice.lines.data.map((line) => ({
      description: line.description,
      amount: line.amount,
      proration: line.parent?.subscription_item_details?.proration ?? false,
      periodStart: new Date(line.period.start * 1000),
      periodEnd: new Date(line.period.end * 1000),
    }));
    const periodEnd = new Date(change.item.current_period_end * 1000);
    const summary = { currency: invoice.currency, prorationDate, lines, kind: change.kind };
    if (behavior === 'always_invoice' || this.resetsPeriod(change)) {
      // Invoiced at once; the renewal after it is the new price's.
      const price = await callStripe(() => stripe.prices.retrieve(change.price));
      const renewing = lines.find((line) => !line.proration);
      return {
        ...summary,
        atPeriodEnd: false,
        amountDueNow: invoice.amount_due,
        nextRenewalAmount: (price.unit_amount ?? 0) * (change.item.quantity ?? 1),
        nextRenewalAt: renewing?.periodEnd ?? periodEnd,
      };
    }
    return {
      ...summary,
      atPeriodEnd: change.atPeriodEnd,
      amountDueNow: 0,
      nextRenewalAmount: invoice.amount_due,
      nextRenewalAt: periodEnd,
    };
  }

  /**
   * Makes the change at Stripe, then syncs the account. Every Stripe request carries an
   * idempotency key for this change (subscription, from-price, to-price, proration date), so
   * a retried request is not applied or charged twice.
   */
  async change(
    account: BillingAccount,
    target: PlanChoice,
    prorationDate: number | undefined,
    meta: RequestMeta,
  ): Promise<BillingSubscriptionDto> {
    const now = this.nowSeconds();
    if (prorationDate !== undefined && !isUsableProrationDate(prorationDate, now)) {
      throw new BadRequestException(
        'prorationDate is not from a recent preview: preview the change again',
      );
    }
    const change = await this.plan(account, target);
    const date = prorationDate ?? now;
    const key = `plan-change:${change.subscription.id}:${change.item.price.id}>${change.price}:${date}`;
    const stripe = this.client();
    if (change.kind === 'same') {
      if (!change.schedule) throw this.unchanged();
      await this.releaseSchedule(change.schedule.id, `${key}:release`);
    } else if (change.atPeriodEnd) {
      await this.scheduleDowngrade(change, key);
    } else {
      if (change.schedule) await this.releaseSchedule(change.schedule.id, `${key}:release`);
      const upgrade = change.kind === 'upgrade';
      await callStripe(() =>
        stripe.subscriptions.update(
          change.subscription.id,
          {
            items: [{ id: change.item.id, price: change.price }],
            proration_behavior: this.prorationBehavior(change),
            proration_date: date,
            ...(upgrade && { payment_behavior: 'pending_if_incomplete' as const }),
          },
          { idempotencyKey: key },
        ),
      );
    }
    await this.sync.sync(
      account.id,
      change.subscription.id,
      { kind: 'stripe', via: 'change' },
      undefined,
      meta,
    );
    return {
      ...(await this.subscriptions.accountSubscription(account)),
      pendingChange: await this.pendingChange(change.subscription.id),
    };
  }

  /** The change against Stripe's current subscription, or why there is none to make. */
  private async plan(account: BillingAccount, target: PlanChoice): Promise<PlannedChange> {
    const stripe = this.client();
    const price = stripePriceId(this.config, target.plan, target.interval);
    if (!price)
      throw new BadRequestException(
        `The ${target.plan} plan is not available per ${target.interval}`,
      );
    const id = account.stripeSubscriptionId;
    if (!id || !CHANGEABLE.has(account.status)) throw this.noSubscription();
    const subscription = await callStripe(() =>
      stripe.subscriptions.retrieve(id, { expand: ['schedule'] }),
    );
    const item = subscription.items.data[0];
    const current = this.choiceOf(item?.price);
    if (!CHANGEABLE.has(subscription.status) || !item || !current) throw this.noSubscription();
    const kind = item.price.id === price ? 'same' : changeKind(current, target);
    const schedule =
      subscription.schedule && typeof subscription.schedule === 'object'
        ? subscription.schedule
        : null;
    return {
      subscription,
      item,
      customer:
        typeof subscription.customer === 'string'
          ? subscription.customer
          : subscription.customer.id,
      price,
      target,
      kind,
      atPeriodEnd: kind === 'downgrade' && this.config.stripe.downgradeAtPeriodEnd,
      schedule,
    };
  }

  /**
   * An upgrade is invoiced at once (the user pays the difference now); a downgrade made at
   * once credits the unused time on the next invoice; one that waits is not prorated.
   */
  private prorationBehavior(
    change: PlannedChange,
  ): 'always_invoice' | 'create_prorations' | 'none' {
    if (change.kind === 'upgrade') return 'always_invoice';
    return change.atPeriodEnd ? 'none' : 'create_prorations';
  }

  /** Stripe starts a new period, and invoices at once, when the interval changes. */
  private resetsPeriod(change: PlannedChange): boolean {
    return !change.atPeriodEnd && change.target.interval !== this.intervalOf(change.item.price.id);
  }

  /**
   * A downgrade at the period's end: the subscription's schedule keeps the current price
   * until then and the new one after it, and then releases the subscription.
   */
  private async scheduleDowngrade(change: PlannedChange, key: string): Promise<void> {
    const stripe = this.client();
    const schedule =
      change.schedule ??
      (await callStripe(() =>
        stripe.subscriptionSchedules.create(
          { from_subscription: change.subscription.id },
          { idempotencyKey: `${key}:schedule` },
        ),
      ));
    const quantity = change.item.quantity ?? 1;
    const start = schedule.current_phase?.start_date ?? change.item.current_period_start;
    await callStripe(() =>
      stripe.subscriptionSchedules.update(
        schedule.id,
        {
          end_behavior: 'release',
          proration_behavior: 'none',
          phases: [
            {
              items: [{ price: change.item.price.id, quantity }],
              start_date: start,
              end_date: change.item.current_period_end,
            },
            {
              items: [{ price: change.price, quantity }],
              duration: { interval: change.target.interval, interval_count: 1 },
            },
          ],
        },
        { idempotencyKey: `${key}:phases` },
      ),
    );
  }

  private async releaseSchedule(id: string, key: string): Promise<void> {
    const stripe = this.client();
    await callStripe(() => stripe.subscriptionSchedules.release(id, {}, { idempotencyKey: key }));
  }

  /** The downgrade a subscription's schedule holds for a later phase, if any. */
  private async pendingChange(subscriptionId: string): Promise<PendingChangeDto | null> {
    const stripe = this.client();
    const subscription = await callStripe(() =>
      stripe.subscriptions.retrieve(subscriptionId, { expand: ['schedule'] }),
    );
    const schedule = subscription.schedule;
    if (!schedule || typeof schedule !== 'object' || schedule.status !== 'active') return null;
    const current = subscription.items.data[0]?.price.id;
    const next = schedule.phases.find(
      (phase) => phase.start_date >= (schedule.current_phase?.end_date ?? Infinity),
    );
    const item = next?.items[0];
    const priceId = typeof item?.price === 'string' ? item.price : item?.price.id;
    const plan = planForPrice(this.config, priceId);
    if (!next || !priceId || priceId === current || !plan) return null;
    const interval = this.intervalOf(priceId);
    return interval ? { plan, interval, effectiveAt: new Date(next.start_date * 1000) } : null;
  }

  private choiceOf(price: Stripe.Price | undefined): PlanChoice | undefined {
    const plan = planForPrice(this.config, price?.id);
    const interval = price && this.intervalOf(price.id);
    if (!plan || !interval) return undefined;
    return { plan, interval };
  }

  private intervalOf(priceId: string): BillingInterval | undefined {
    const prices = this.config.stripe.prices;
    if (priceId === prices.proMonthly || priceId === prices.businessMonthly) return 'month';
    if (priceId === prices.proYearly || priceId === prices.businessYearly) return 'year';
    return undefined;
  }

  private noSubscription(): ConflictException {
    return new ConflictException({
      error: 'no_subscription',
      message: 'No paid subscription to change: subscribe through checkout first',
    });
  }

  private unchanged(): ConflictException {
    return new ConflictException({
      error: 'plan_unchanged',
      message: 'The subscription is already on this plan and interval',
    });
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.nowMs() / 1000);
  }

  private client(): Stripe {
    if (!this.stripe) throw new Error('Stripe is not configured');
    return this.stripe;
  }
}
