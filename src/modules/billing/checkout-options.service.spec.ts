import { describe, expect, it } from '@jest/globals';
import type Stripe from 'stripe';
import { Clock } from '../../common/time/clock.js';
import { loadConfig } from '../../config/app-config.js';
import type { BillingAccount } from '../subscriptions/billing-account.js';
import type { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import {
  CheckoutOptionsService,
  InvalidPromotionCodeException,
} from './checkout-options.service.js';

const NOW = 1_800_000_000;

class FixedClock extends Clock {
  override nowMs(): number {
    return NOW * 1000;
  }
}

/** The trial marker as the repository keeps it: one conditional update. */
class FakeMarker {
  usedAt: Date | null = null;
  async claimTrial(_account: BillingAccount, at: Date): Promise<boolean> {
    if (this.usedAt) return false;
    this.usedAt = at;
    return true;
  }
  async releaseTrial(_account: BillingAccount, at: Date): Promise<void> {
    if (this.usedAt === at) this.usedAt = null;
  }
  /** Users who claimed their one workspace trial. */
  readonly workspaceClaims = new Map<string, Date>();
  async claimWorkspaceTrial(userId: string, at: Date): Promise<boolean> {
    if (this.workspaceClaims.has(userId)) return false;
    this.workspaceClaims.set(userId, at);
    return true;
  }
  async releaseWorkspaceTrial(userId: string, at: Date): Promise<void> {
    if (this.workspaceClaims.get(userId) === at) this.workspaceClaims.delete(userId);
  }
}

function promotion(
  fields: Partial<Stripe.PromotionCode> = {},
  coupon: Partial<Stripe.Coupon> = {},
) {
  return {
    id: 'promo_1',
    active: true,
    code: 'SPRING',
    customer: null,
    expires_at: null,
    max_redemptions: null,
    times_redeemed: 0,
    restrictions: {
      first_time_transaction: false,
      minimum_amount: null,
      minimum_amount_currency: null,
    },
    promotion: {
      type: 'coupon',
      coupon: {
        id: 'c',
        valid: true,
        redeem_by: null,
        percent_off: 20,
        amount_off: null,
        currency: null,
        ...coupon,
      },
    },
    ...fields,
  } as unknown as Stripe.PromotionCode;
}

function setup(
  env: Record<string, string> = {},
  stripeState: { codes?: Stripe.PromotionCode[]; trials?: boolean; paidInvoices?: number } = {},
) {
  const calls: string[] = [];
  const stripe = {
    promotionCodes: {
      list: async (params: Stripe.PromotionCodeListParams) => {
        calls.push(`promotionCodes.list ${JSON.stringify(params)}`);
        return { data: stripeState.codes ?? [] };
      },
    },
    prices: {
      retrieve: async (id: string) => {
        calls.push(`prices.retrieve ${id}`);
        return { id, unit_amount: 1200, currency: 'usd' };
      },
    },
    invoices: {
      list: async () => {
        calls.push('invoices.list');
        return { data: Array(stripeState.paidInvoices ?? 0).fill({}) };
      },
    },
    subscriptions: {
      list: () => {
        calls.push('subscriptions.list');
        return (async function* () {
          yield { trial_start: stripeState.trials ? NOW - 1000 : null };
        })();
      },
    },
  } as unknown as Stripe;
  const marker = new FakeMarker();
  const service = new CheckoutOptionsService(
    stripe,
    marker as unknown as SubscriptionsService,
    loadConfig(env),
    new FixedClock(),
  );
  return { service, calls, marker };
}

const account = (fields: Partial<BillingAccount> = {}): BillingAccount => ({
  id: 'a1',
  userId: 'u1',
  workspaceId: null,
  seats: null,
  plan: 'free',
  status: 'active',
  stripeCustomerId: 'cus_1',
  stripeSubscriptionId: null,
  trialUsedAt: null,
  ...fields,
});

describe(CheckoutOptionsService.name, () => {
  describe('promotion', () => {
    it('asks Stripe for the active code and returns it as the discount', async () => {
      const { service, calls } = setup({}, { codes: [promotion()] });
      expect(await service.promotion('SPRING', 'price_1', null)).toEqual([
        { promotion_code: 'promo_1' },
      ]);
      expect(calls[0]).toBe(
        `promotionCodes.list ${JSON.stringify({ code: 'SPRING', active: true, limit: 1, expand: ['data.promotion.coupon'] })}`,
      );
    });

    it.each<[string, Stripe.PromotionCode[]]>([
      ['unknown or inactive (Stripe lists none)', []],
      ['expired', [promotion({ expires_at: NOW })]],
      ['used up', [promotion({ max_redemptions: 3, times_redeemed: 3 })]],
      ["another customer's", [promotion({ customer: 'cus_other' })]],
      ['on an invalid coupon', [promotion({}, { valid: false })]],
      ['on a coupon past redeem_by', [promotion({}, { redeem_by: NOW - 1 })]],
      [
        'in another currency',
        [promotion({}, { percent_off: null, amount_off: 100, currency: 'eur' })],
      ],
      [
        'below its minimum amount',
        [
          promotion({
            restrictions: {
              first_time_transaction: false,
              minimum_amount: 5000,
              minimum_amount_currency: 'usd',
            },
          }),
        ],
      ],
    ])('refuses a code %s', async (_case, codes) => {
      const { service } = setup({}, { codes });
      await expect(service.promotion('SPRING', 'price_1', 'cus_1')).rejects.toBeInstanceOf(
        InvalidPromotionCodeException,
      );
    });

    it('refuses a first-purchase code to a customer who has paid before, not to a new one', async () => {
      const firstTime = promotion({
        restrictions: {
          first_time_transaction: true,
          minimum_amount: null,
          minimum_amount_currency: null,
        },
      });
      const paid = setup({}, { codes: [firstTime], paidInvoices: 1 });
      await expect(paid.service.promotion('SPRING', 'price_1', 'cus_1')).rejects.toBeInstanceOf(
        InvalidPromotionCodeException,
      );
      const fresh = setup({}, { codes: [firstTime], paidInvoices: 1 });
      await expect(fresh.service.promotion('SPRING', 'price_1', null)).resolves.toHaveLength(1);
    });
  });

  describe('trial', () => {
    it('is off with TRIAL_DAYS 0, and asks Stripe nothing', async () => {
      const { service, calls } = setup();
      expect(await service.trial(account(), 'cus_1', 'u1')).toBeUndefined();
      expect(calls).toEqual([]);
    });

    it('is not offered when our marker says used, and Stripe is not asked', async () => {
      const { service, calls } = setup({ TRIAL_DAYS: '7' });
      expect(
        await service.trial(account({ trialUsedAt: new Date() }), 'cus_1', 'u1'),
      ).toBeUndefined();
      expect(calls).toEqual([]);
    });

    it('is not offered when a subscription at Stripe had a trial, and is marked used', async () => {
      const { service, marker } = setup({ TRIAL_DAYS: '7' }, { trials: true });
      expect(await service.trial(account(), 'cus_1', 'u1')).toBeUndefined();
      expect(marker.usedAt).toEqual(new Date(NOW * 1000));
    });

    it('is claimed once: a second claim gets none; a release gives it back', async () => {
      const { service, marker } = setup({ TRIAL_DAYS: '7' });
      const trial = await service.trial(account(), 'cus_1', 'u1');
      expect(trial?.days).toBe(7);
      expect(await service.trial(account(), 'cus_1', 'u1')).toBeUndefined();
      await trial!.release();
      expect(marker.usedAt).toBeNull();
    });

    it("gives a user one workspace trial ever, and leaves a refused workspace's trial unused", async () => {
      const { service, marker } = setup({ TRIAL_DAYS: '14' });
      const first = await service.trial(account({ workspaceId: 'w1' }), 'cus_w1', 'u1');
      expect(first?.days).toBe(14);
      // A second workspace (a new customer): none for the same user...
      marker.usedAt = null;
      expect(await service.trial(account({ workspaceId: 'w2' }), 'cus_w2', 'u1')).toBeUndefined();
      expect(marker.usedAt).toBeNull();
      // ...but one for another of its admins who has not used theirs.
      expect((await service.trial(account({ workspaceId: 'w2' }), 'cus_w2', 'u2'))?.days).toBe(14);
      await first!.release();
      expect(marker.workspaceClaims.has('u1')).toBe(false);
    });
  });

  describe('sessionParams', () => {
    const metadata = { userId: 'u1' };

    it('shows the promotion field when configured, but not beside a discount', () => {
      const { service } = setup({ STRIPE_ALLOW_PROMOTION_CODES: 'true' });
      expect(service.sessionParams({ metadata })).toMatchObject({ allow_promotion_codes: true });
      const withCode = service.sessionParams({ metadata, discounts: [{ promotion_code: 'p' }] });
      expect(withCode).toMatchObject({ discounts: [{ promotion_code: 'p' }] });
      expect(withCode).not.toHaveProperty('allow_promotion_codes');
    });

    it('asks for the address and saves it on the customer with automatic tax', () => {
      const { service } = setup({ STRIPE_AUTOMATIC_TAX: 'true' });
      expect(service.sessionParams({ metadata })).toMatchObject({
        automatic_tax: { enabled: true },
        billing_address_collection: 'required',
        customer_update: { address: 'auto', name: 'auto' },
      });
      expect(setup().service.sessionParams({ metadata })).toEqual({
        subscription_data: { metadata },
      });
    });

    it('gives a trial without a card, canceled at its end when none was added', () => {
      const { service } = setup({ TRIAL_DAYS: '14' });
      const trial = { days: 14, release: async () => undefined };
      expect(service.sessionParams({ metadata, trial })).toEqual({
        payment_method_collection: 'if_required',
        subscription_data: {
          metadata,
          trial_period_days: 14,
          trial_settings: { end_behavior: { missing_payment_method: 'cancel' } },
        },
      });
    });
  });
});
