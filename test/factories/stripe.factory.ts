import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';

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
}) {
  const id = overrides.id ?? stripeId('sub');
  const start = now() - 86_400;
  return {
    id,
    object: 'subscription',
    status: overrides.status ?? 'active',
    customer: overrides.customer,
    metadata: overrides.userId ? { userId: overrides.userId } : {},
    cancel_at_period_end: overrides.cancelAtPeriodEnd ?? false,
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
          quantity: 1,
          metadata: {},
          current_period_start: start,
          current_period_end: overrides.periodEnd ?? start + 30 * 86_400,
          price: {
            id: overrides.price ?? PRICES.proMonthly,
            object: 'price',
            currency: 'usd',
            unit_amount: 1200,
          },
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

/** An invoice in the current API shape: its subscription under parent.subscription_details. */
export function invoiceFactory(fields: {
  customer: string;
  subscription: string;
  status?: Stripe.Invoice.Status;
}) {
  return {
    id: stripeId('in'),
    object: 'invoice',
    customer: fields.customer,
    status: fields.status ?? 'paid',
    livemode: false,
    created: now(),
    parent: {
      type: 'subscription_details',
      quote_details: null,
      subscription_details: { subscription: fields.subscription, metadata: null },
    },
  } satisfies Partial<Omit<Stripe.Invoice, 'parent'>> & { parent: Partial<Stripe.Invoice.Parent> };
}

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
