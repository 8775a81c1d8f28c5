import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import type { ApiClient } from '../support/test-app.js';

export const PRICES = {
  proMonthly: 'price_test_pro_month',
  proYearly: 'price_test_pro_year',
  businessMonthly: 'price_test_business_month',
  businessYearly: 'price_test_business_year',
};

export const STRIPE_TEST_ENV = {
  STRIPE_SECRET_KEY: 'sk_test_insightsheet_local_stand_in',
  STRIPE_WEBHOOK_SECRET: 'whsec_insightsheet_local_stand_in',
  STRIPE_PRICE_PRO_MONTHLY: PRICES.proMonthly,
  STRIPE_PRICE_PRO_YEARLY: PRICES.proYearly,
  STRIPE_PRICE_BUSINESS_MONTHLY: PRICES.businessMonthly,
  STRIPE_PRICE_BUSINESS_YEARLY: PRICES.businessYearly,
};

export const stripeId = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

/** A subscription in the current API shape (periods on items), checked against the SDK's types. */
export function subscriptionFactory(overrides: {
  customer: string;
  userId?: string;
  price?: string;
  status?: Stripe.Subscription.Status;
  periodEnd?: number;
  cancelAtPeriodEnd?: boolean;
  id?: string;
  created?: number;
  quantity?: number;
  periodStart?: number;
  trial?: { start: number; end: number };
}) {
  const id = overrides.id ?? stripeId('sub');
  const start = overrides.periodStart ?? now() - 86_400;
  const price = priceFactory(overrides.price ?? PRICES.proMonthly);
  return {
    id,
    object: 'subscription',
    status: overrides.status ?? 'active',
    customer: overrides.customer,
    metadata: overrides.userId ? { userId: overrides.userId } : {},
    cancel_at_period_end: overrides.cancelAtPeriodEnd ?? false,
    cancel_at: null as number | null,
    canceled_at: null as number | null,
    ended_at: null as number | null,
    trial_start: (overrides.trial?.start ?? null) as number | null,
    trial_end: (overrides.trial?.end ?? null) as number | null,
    schedule: null as string | null,
    default_payment_method: null as string | null,
    latest_invoice: null as string | null,
    trial_settings: {
      end_behavior: {
        billing_cycle_anchor: null,
        missing_payment_method: 'create_invoice' as 'cancel' | 'create_invoice' | 'pause',
      },
    },
    created: overrides.created ?? start,
    livemode: false,
    currency: 'usd',
    items: {
      object: 'list',
      has_more: false,
      url: `/v1/subscription_items?subscription=${id}`,
      data: [
        {
          id: stripeId('si'),
          object: 'subscription_item',
          subscription: id,
          created: start,
          quantity: overrides.quantity ?? 1,
          metadata: {},
          current_period_start: start,
          current_period_end:
            overrides.periodEnd ?? start + periodSeconds(price.recurring.interval),
          price,
        },
      ],
    },
  } satisfies Partial<Omit<Stripe.Subscription, 'items'>> & {
    items: Partial<Omit<Stripe.ApiList<Stripe.SubscriptionItem>, 'data'>> & {
      data: (Partial<Omit<Stripe.SubscriptionItem, 'price'>> & { price: Partial<Stripe.Price> })[];
    };
  };
}

export type SubscriptionFixture = ReturnType<typeof subscriptionFactory>;

/** The test prices: the plan catalogue's display amounts, in US dollars. */
const PRICE_AMOUNTS: Record<string, { unit_amount: number; interval: 'month' | 'year' }> = {
  [PRICES.proMonthly]: { unit_amount: 1200, interval: 'month' },
  [PRICES.proYearly]: { unit_amount: 12_000, interval: 'year' },
  [PRICES.businessMonthly]: { unit_amount: 3900, interval: 'month' },
  [PRICES.businessYearly]: { unit_amount: 39_000, interval: 'year' },
};

/** A period's length as the stand-in counts it (Stripe counts calendar months). */
export function periodSeconds(interval: 'month' | 'year' | string): number {
  return (interval === 'year' ? 365 : 30) * 86_400;
}

/** A recurring price; the four test prices have the catalogue's amounts. */
export function priceFactory(
  id: string,
  fields: { unitAmount?: number; currency?: string; interval?: 'month' | 'year' } = {},
) {
  const known = PRICE_AMOUNTS[id];
  return {
    id,
    object: 'price',
    active: true,
    currency: fields.currency ?? 'usd',
    unit_amount: fields.unitAmount ?? known?.unit_amount ?? 1000,
    type: 'recurring',
    livemode: false,
    recurring: {
      interval: fields.interval ?? known?.interval ?? 'month',
      interval_count: 1,
      meter: null,
      trial_period_days: null,
      usage_type: 'licensed',
    },
  } satisfies Partial<Omit<Stripe.Price, 'recurring'>> & {
    recurring: Partial<Stripe.Price.Recurring>;
  };
}

export type PriceFixture = ReturnType<typeof priceFactory>;

/** A coupon (percent_off or amount_off), valid unless told otherwise. */
export function couponFactory(fields: {
  percentOff?: number;
  amountOff?: number;
  currency?: string;
  valid?: boolean;
  redeemBy?: number;
}) {
  return {
    id: stripeId('coupon'),
    object: 'coupon',
    percent_off: fields.percentOff ?? null,
    amount_off: fields.amountOff ?? null,
    currency: fields.amountOff === undefined ? null : (fields.currency ?? 'usd'),
    duration: 'once',
    duration_in_months: null,
    max_redemptions: null,
    redeem_by: fields.redeemBy ?? null,
    times_redeemed: 0,
    valid: fields.valid ?? true,
    livemode: false,
    created: now(),
    metadata: {},
    name: null,
  } satisfies Partial<Stripe.Coupon>;
}

export type CouponFixture = ReturnType<typeof couponFactory>;

/** A promotion code in the current shape: its coupon under promotion.coupon. */
export function promotionCodeFactory(fields: {
  code: string;
  coupon: CouponFixture;
  active?: boolean;
  expiresAt?: number;
  maxRedemptions?: number;
  timesRedeemed?: number;
  customer?: string;
  minimumAmount?: number;
  minimumAmountCurrency?: string;
  firstTimeTransaction?: boolean;
}) {
  return {
    id: stripeId('promo'),
    object: 'promotion_code',
    code: fields.code,
    active: fields.active ?? true,
    created: now(),
    customer: fields.customer ?? null,
    customer_account: null,
    expires_at: fields.expiresAt ?? null,
    livemode: false,
    max_redemptions: fields.maxRedemptions ?? null,
    metadata: {},
    times_redeemed: fields.timesRedeemed ?? 0,
    promotion: { type: 'coupon', coupon: fields.coupon as CouponFixture | string },
    restrictions: {
      first_time_transaction: fields.firstTimeTransaction ?? false,
      minimum_amount: fields.minimumAmount ?? null,
      minimum_amount_currency: fields.minimumAmount
        ? (fields.minimumAmountCurrency ?? 'usd')
        : null,
    },
  } satisfies Partial<Omit<Stripe.PromotionCode, 'promotion'>> & {
    promotion: { type: 'coupon'; coupon: Partial<Stripe.Coupon> | string };
  };
}

export type PromotionCodeFixture = ReturnType<typeof promotionCodeFactory>;

export function checkoutSessionFactory(fields: {
  customer: string;
  subscription: string;
  userId: string;
}) {
  return {
    id: stripeId('cs'),
    object: 'checkout.session',
    mode: 'subscription',
    status: 'complete',
    payment_status: 'paid',
    customer: fields.customer,
    subscription: fields.subscription,
    client_reference_id: fields.userId,
    metadata: { userId: fields.userId },
    livemode: false,
    created: now(),
  } satisfies Partial<Stripe.Checkout.Session>;
}

/** An invoice line: a subscription item's charge or, with `proration`, its prorated part. */
export function invoiceLineFactory(fields: {
  amount: number;
  currency?: string;
  description?: string;
  price: string;
  quantity?: number;
  subscription: string;
  subscriptionItem: string;
  proration?: boolean;
  period: { start: number; end: number };
}) {
  return {
    id: stripeId('il'),
    object: 'line_item',
    amount: fields.amount,
    subtotal: fields.amount,
    currency: fields.currency ?? 'usd',
    description: fields.description ?? null,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: null,
    livemode: false,
    metadata: {},
    period: fields.period,
    quantity: fields.quantity ?? 1,
    subscription: fields.subscription,
    pretax_credit_amounts: null,
    taxes: null,
    pricing: {
      type: 'price_details',
      unit_amount_decimal: null,
      price_details: { price: fields.price, product: 'prod_test' },
    },
    parent: {
      type: 'subscription_item_details',
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: null,
        proration: fields.proration ?? false,
        proration_details: null,
        subscription: fields.subscription,
        subscription_item: fields.subscriptionItem,
      },
    },
  } satisfies Partial<Omit<Stripe.InvoiceLineItem, 'pricing' | 'parent'>> & {
    pricing: Partial<Stripe.InvoiceLineItem.Pricing>;
    parent: Partial<Stripe.InvoiceLineItem.Parent>;
  };
}

export type InvoiceLineFixture = ReturnType<typeof invoiceLineFactory>;

/** An invoice in the current API shape: its subscription under parent.subscription_details. */
export function invoiceFactory(fields: {
  customer: string;
  subscription: string | null;
  status?: Stripe.Invoice.Status;
  lines?: InvoiceLineFixture[];
  total?: number;
  currency?: string;
  created?: number;
  number?: string | null;
  billingReason?: Stripe.Invoice.BillingReason;
}) {
  const id = stripeId('in');
  const lines = fields.lines ?? [];
  const total = fields.total ?? lines.reduce((sum, line) => sum + line.amount, 0);
  const status = fields.status ?? 'paid';
  const finalised = status !== 'draft';
  return {
    id,
    object: 'invoice',
    customer: fields.customer,
    status,
    number:
      fields.number === undefined
        ? finalised
          ? `TEST-${id.slice(-6).toUpperCase()}`
          : null
        : fields.number,
    currency: fields.currency ?? 'usd',
    subtotal: total,
    total,
    amount_due: Math.max(total, 0),
    amount_paid: status === 'paid' ? Math.max(total, 0) : 0,
    amount_remaining: status === 'paid' ? 0 : Math.max(total, 0),
    billing_reason: fields.billingReason ?? 'subscription_cycle',
    hosted_invoice_url: finalised ? `https://invoice.stripe.test/i/${id}` : null,
    invoice_pdf: finalised ? `https://pay.stripe.test/invoice/${id}/pdf` : null,
    livemode: false,
    created: fields.created ?? now(),
    period_start: lines[0]?.period.start ?? now(),
    period_end: lines[0]?.period.end ?? now(),
    lines: {
      object: 'list',
      has_more: false,
      url: `/v1/invoices/${id}/lines`,
      data: lines.map((line) => ({ ...line, invoice: id })),
    },
    parent: fields.subscription
      ? {
          type: 'subscription_details',
          quote_details: null,
          subscription_details: { subscription: fields.subscription, metadata: null },
        }
      : null,
  } satisfies Partial<Omit<Stripe.Invoice, 'parent' | 'lines'>> & {
    parent: Partial<Stripe.Invoice.Parent> | null;
    lines: Partial<Omit<Stripe.ApiList<Stripe.InvoiceLineItem>, 'data'>> & { data: unknown[] };
  };
}

export type InvoiceFixture = ReturnType<typeof invoiceFactory>;

export function eventFactory(
  type: string,
  object: object,
  overrides: { id?: string; created?: number } = {},
) {
  return {
    id: overrides.id ?? stripeId('evt'),
    object: 'event',
    type,
    api_version: Stripe.API_VERSION,
    created: overrides.created ?? now(),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
}

const signer = new Stripe('sk_test_signer_only');

/** Signs a payload with the SDK's own test-header helper, as Stripe would. */
export function signedDelivery(
  payload: string,
  {
    secret = STRIPE_TEST_ENV.STRIPE_WEBHOOK_SECRET,
    timestamp,
  }: { secret?: string; timestamp?: number } = {},
) {
  return signer.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

/** Delivers an event to the API's webhook as Stripe would: the raw JSON, signed. */
export function deliverWebhook(api: ApiClient, event: object): Promise<Response> {
  const payload = JSON.stringify(event);
  return api.fetch('/api/v1/billing/webhook', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signedDelivery(payload) },
    body: payload,
  });
}
