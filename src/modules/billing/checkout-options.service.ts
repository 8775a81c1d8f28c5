import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { Clock } from '../../common/time/clock.js';
import { AppConfig } from '../../config/app-config.js';
import type { BillingAccount } from '../subscriptions/billing-account.js';
import { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import { callStripe, STRIPE } from './stripe.client.js';

/** 400 `invalid_promotion_code`: the code is unknown, inactive, expired or not usable here. */
export class InvalidPromotionCodeException extends BadRequestException {
  constructor(message = 'This promotion code is not valid') {
    super({ error: 'invalid_promotion_code', message });
  }
}

/** A trial claimed for a checkout; release() gives it back when no session was opened. */
export interface ClaimedTrial {
  days: number;
  release(): Promise<void>;
}

type SessionParams = Stripe.Checkout.SessionCreateParams;

/**
 * What a checkout session offers beyond the plan, from configuration and the account:
 * a trial (TRIAL_DAYS, once per billing customer ever), a promotion code the user typed or
 * Stripe's promotion code field (STRIPE_ALLOW_PROMOTION_CODES), and Stripe Tax
 * (STRIPE_AUTOMATIC_TAX).
 */
@Injectable()
export class CheckoutOptionsService {
  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe | null,
    private readonly subscriptions: SubscriptionsService,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /**
   * The discount for a code the user typed, checked before anything is created at Stripe:
   * an unknown, inactive, expired, used-up or restricted code (or one whose coupon is no
   * longer valid, or cannot apply to this price) is a 400 invalid_promotion_code. Stripe would
   * refuse most of these only when the session is created, after the customer exists.
   */
  async promotion(
    code: string,
    priceId: string,
    customer: string | null,
  ): Promise<Stripe.Checkout.SessionCreateParams.Discount[]> {
    const stripe = this.client();
    const [promotion] = (
      await callStripe(() =>
        stripe.promotionCodes.list({
          code,
          active: true,
          limit: 1,
          expand: ['data.promotion.coupon'],
        }),
      )
    ).data;
    if (!promotion) throw new InvalidPromotionCodeException();
    const now = this.clock.nowMs() / 1000;
    const coupon = promotion.promotion.coupon;
    const restrictions = promotion.restrictions;
    const owner =
      typeof promotion.customer === 'string' ? promotion.customer : promotion.customer?.id;
    if (
      !promotion.active ||
      (promotion.expires_at !== null && promotion.expires_at <= now) ||
      (promotion.max_redemptions !== null &&
        promotion.times_redeemed >= promotion.max_redemptions) ||
      (owner && owner !== customer) ||
      !coupon ||
      typeof coupon === 'string' ||
      !coupon.valid ||
      (coupon.redeem_by !== null && coupon.redeem_by <= now)
    ) {
      throw new InvalidPromotionCodeException();
    }
    if (restrictions.minimum_amount !== null || coupon.amount_off !== null) {
      const price = await callStripe(() => stripe.prices.retrieve(priceId));
      const amount = price.unit_amount ?? 0;
      if (coupon.amount_off !== null && coupon.currency !== price.currency)
        throw new InvalidPromotionCodeException('This promotion code does not apply to this plan');
      if (
        restrictions.minimum_amount !== null &&
        (restrictions.minimum_amount_currency !== price.currency ||
          amount < restrictions.minimum_amount)
      )
        throw new InvalidPromotionCodeException('This promotion code does not apply to this plan');
    }
    if (restrictions.first_time_transaction && customer) {
      const paid = await callStripe(() =>
        stripe.invoices.list({ customer, status: 'paid', limit: 1 }),
      );
      if (paid.data.length > 0)
        throw new InvalidPromotionCodeException('This promotion code is for first purchases only');
    }
    return [{ promotion_code: promotion.id }];
  }

  /**
   * The account's one trial, when TRIAL_DAYS is on and it has none used: neither marked on
   * our side nor seen at Stripe (any subscription of the customer that had a trial_start,
   * for instance one given in Stripe's dashboard, counts; it is then marked too). The mark is
   * claimed by a conditional update, so of concurrent checkouts one offers the trial. A
   * workspace's trial also needs the user who opens the checkout (`claimant`) not to have
   * claimed a workspace trial before: one per user ever, whatever workspaces they create.
   */
  async trial(
    account: BillingAccount,
    customer: string,
    claimant: string,
  ): Promise<ClaimedTrial | undefined> {
    const days = this.config.stripe.trialDays;
    if (days === 0 || account.trialUsedAt) return undefined;
    const stripe = this.client();
    let trialedBefore = false;
    await callStripe(async () => {
      for await (const subscription of stripe.subscriptions.list({
        customer,
        status: 'all',
        limit: 100,
      })) {
        if (subscription.trial_start !== null) trialedBefore = true;
      }
    });
    const at = this.clock.now();
    const claimed = await this.subscriptions.claimTrial(account, at);
    if (!claimed || trialedBefore) return undefined;
    const release = () => this.subscriptions.releaseTrial(account, at);
    if (!account.workspaceId) return { days, release };
    if (!(await this.subscriptions.claimWorkspaceTrial(claimant, at))) {
      // The workspace keeps its trial for an owner or admin who has not used theirs.
      await release();
      return undefined;
    }
    return {
      days,
      release: async () => {
        await release();
        await this.subscriptions.releaseWorkspaceTrial(claimant, at);
      },
    };
  }

  /**
   * The session's parameters that follow configuration. Stripe refuses allow_promotion_codes
   * together with discounts: a code the user typed wins (the field would be of no use).
   * A trial needs no card (Stripe asks for none when nothing is due) and, without one, the
   * subscription is canceled at the trial's end rather than left unpaid.
   */
  sessionParams(options: {
    discounts?: Stripe.Checkout.SessionCreateParams.Discount[];
    trial?: ClaimedTrial;
    metadata: Record<string, string>;
  }): Partial<SessionParams> {
    const params: Partial<SessionParams> = {
      subscription_data: {
        metadata: options.metadata,
        ...(options.trial && {
          trial_period_days: options.trial.days,
          trial_settings: { end_behavior: { missing_payment_method: 'cancel' } },
        }),
      },
    };
    if (options.trial) params.payment_method_collection = 'if_required';
    if (options.discounts) params.discounts = options.discounts;
    else if (this.config.stripe.allowPromotionCodes) params.allow_promotion_codes = true;
    if (this.config.stripe.automaticTax) {
      params.automatic_tax = { enabled: true };
      params.billing_address_collection = 'required';
      params.customer_update = { address: 'auto', name: 'auto' };
    }
    return params;
  }

  private client(): Stripe {
    if (!this.stripe) throw new Error('Stripe is not configured');
    return this.stripe;
  }
}
