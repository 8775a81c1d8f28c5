import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  couponFactory,
  eventFactory,
  invoiceFactory,
  invoiceLineFactory,
  PRICES,
  promotionCodeFactory,
  deliverWebhook,
  STRIPE_TEST_ENV,
  stripeId,
  subscriptionFactory,
} from '../factories/stripe.factory.js';
import {
  bearer,
  registerUser,
  registerVerifiedUser,
  type RegisteredUser,
} from '../factories/users.factory.js';
import { StripeStandIn } from '../support/stripe-stand-in.js';
import { json, startTestApp, type TestApp } from '../support/test-app.js';

interface Row {
  plan: string;
  status: string;
  stripe_customer_id: string | null;
  stripe_subscription_id: string | null;
  trial_used_at: Date | null;
  features: { plan: string };
}

interface Preview {
  amountDueNow: number;
  nextRenewalAmount: number;
  currency: string;
  nextRenewalAt: string;
  prorationDate: number;
  kind: string;
  atPeriodEnd: boolean;
  lines: { amount: number; proration: boolean }[];
}

const DAY = 86_400;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** One app against one stand-in, with the helpers every suite below uses. */
function billingHarness(env: Record<string, string>) {
  const stripe = new StripeStandIn(STRIPE_TEST_ENV.STRIPE_SECRET_KEY);
  const harness = {
    stripe,
    api: undefined as unknown as TestApp,
    post: (path: string, token: string, body: unknown = {}) =>
      harness.api.fetch(path, json(body, { authorization: `Bearer ${token}` })),
    get: (path: string, token: string) => harness.api.fetch(path, bearer(token)),
    row: async (userId: string) =>
      (await harness.api.query<Row>(`SELECT * FROM subscriptions WHERE user_id = $1`, [userId]))[0],
    deliver: (event: object) => deliverWebhook(harness.api, event),
    /** The last checkout session the app asked Stripe for. */
    lastSession: () => stripe.requestsTo('POST', '/v1/checkout/sessions').at(-1)!.body,
    /** Checkout, then Stripe completes it (with or without a card) and its webhook arrives. */
    async subscribe(
      user: RegisteredUser,
      body: Record<string, unknown> = { plan: 'pro', interval: 'month' },
      options: { paymentMethod?: boolean } = {},
    ) {
      const response = await harness.post('/api/v1/billing/checkout', user.accessToken, body);
      expect(response.status).toBe(201);
      const { sessionId } = (await response.json()) as { sessionId: string };
      const { subscription, event } = stripe.completeCheckout(sessionId, options);
      expect((await harness.deliver(event)).status).toBe(200);
      return subscription;
    },
    /** A user with an active subscription ten days into its period (no trial). */
    async paying(price = PRICES.proMonthly) {
      const user = await registerVerifiedUser(harness.api);
      expect(
        (
          await harness.post('/api/v1/billing/checkout', user.accessToken, {
            plan: 'pro',
            interval: 'month',
          })
        ).status,
      ).toBe(201);
      const customer = (await harness.row(user.id)).stripe_customer_id!;
      const subscription = subscriptionFactory({
        customer,
        userId: user.id,
        price,
        periodStart: nowSeconds() - 10 * DAY,
      });
      subscription.default_payment_method = stripeId('pm');
      stripe.putSubscription(subscription);
      expect(
        (await harness.deliver(eventFactory('customer.subscription.created', subscription))).status,
      ).toBe(200);
      return { ...user, customer, subscription };
    },
  };
  beforeAll(async () => {
    await stripe.start();
    harness.api = await startTestApp({
      env: { ...STRIPE_TEST_ENV, STRIPE_API_BASE: stripe.url, ...env },
    });
  });
  afterAll(async () => {
    await harness.api.close();
    await stripe.stop();
  });
  afterEach(() => {
    expect(stripe.problems).toEqual([]);
  });
  return harness;
}

describe('billing additions (trials, promotion codes, tax, plan changes, invoices)', () => {
  const h = billingHarness({
    TRIAL_DAYS: '14',
    STRIPE_ALLOW_PROMOTION_CODES: 'true',
    STRIPE_AUTOMATIC_TAX: 'true',
  });

  describe('trials', () => {
    it('a first paid plan starts with a trial that needs no card; it grants the plan while trialing and falls to free when Stripe cancels it at the trial end', async () => {
      const user = await registerVerifiedUser(h.api);
      const subscription = await h.subscribe(user, undefined, { paymentMethod: false });
      expect(h.lastSession()).toMatchObject({
        payment_method_collection: 'if_required',
        subscription_data: {
          trial_period_days: '14',
          trial_settings: { end_behavior: { missing_payment_method: 'cancel' } },
          metadata: { userId: user.id },
        },
      });
      expect(subscription).toMatchObject({ status: 'trialing', default_payment_method: null });
      expect(subscription.trial_end! - subscription.trial_start!).toBe(14 * DAY);
      expect(await h.row(user.id)).toMatchObject({ status: 'trialing', plan: 'pro' });
      const trialing = await (await h.get('/api/v1/subscriptions/me', user.accessToken)).json();
      expect(trialing).toMatchObject({ plan: 'pro', status: 'trialing', source: 'stripe' });

      expect((await h.deliver(h.stripe.endTrial(subscription.id))).status).toBe(200);
      const ended = await (await h.get('/api/v1/subscriptions/me', user.accessToken)).json();
      expect(ended).toMatchObject({ plan: 'free', status: 'canceled' });
    });

    it('is given once per customer ever: after a cancel, a new checkout has no trial', async () => {
      const user = await registerVerifiedUser(h.api);
      const first = await h.subscribe(user);
      expect(first.status).toBe('trialing');
      const usedAt = (await h.row(user.id)).trial_used_at;
      expect(usedAt).not.toBeNull();
      first.status = 'canceled';
      expect(
        (await h.deliver(eventFactory('customer.subscription.deleted', { ...first }))).status,
      ).toBe(200);
      expect(await h.row(user.id)).toMatchObject({
        status: 'canceled',
        features: { plan: 'free' },
      });

      const second = await h.subscribe(user, { plan: 'business', interval: 'month' });
      expect(h.lastSession()).not.toHaveProperty('subscription_data.trial_period_days');
      expect(h.lastSession()).not.toHaveProperty('payment_method_collection');
      expect(second.status).toBe('active');
      expect(await h.row(user.id)).toMatchObject({
        plan: 'business',
        status: 'active',
        trial_used_at: usedAt,
      });
    });

    it('concurrent checkouts of one user offer one trial', async () => {
      const user = await registerVerifiedUser(h.api);
      const before = h.stripe.requestsTo('POST', '/v1/checkout/sessions').length;
      const responses = await Promise.all(
        Array.from({ length: 6 }, () =>
          h.post('/api/v1/billing/checkout', user.accessToken, { plan: 'pro', interval: 'year' }),
        ),
      );
      expect(responses.map((response) => response.status)).toEqual(Array(6).fill(201));
      const sessions = h.stripe.requestsTo('POST', '/v1/checkout/sessions').slice(before);
      expect(sessions).toHaveLength(6);
      const withTrial = sessions.filter(
        (request) => (request.body.subscription_data as Record<string, unknown>).trial_period_days,
      );
      expect(withTrial).toHaveLength(1);
    });

    it('a customer who had a trial at Stripe (say, from the dashboard) gets none, and it is marked', async () => {
      const user = await registerVerifiedUser(h.api);
      const customer = stripeId('cus');
      h.stripe.customers.set(customer, { id: customer, object: 'customer', metadata: {} });
      await h.api.query(`UPDATE subscriptions SET stripe_customer_id = $2 WHERE user_id = $1`, [
        user.id,
        customer,
      ]);
      const old = subscriptionFactory({
        customer,
        status: 'canceled',
        trial: { start: nowSeconds() - 90 * DAY, end: nowSeconds() - 76 * DAY },
      });
      h.stripe.putSubscription(old);
      expect(
        (
          await h.post('/api/v1/billing/checkout', user.accessToken, {
            plan: 'pro',
            interval: 'month',
          })
        ).status,
      ).toBe(201);
      expect(h.lastSession()).not.toHaveProperty('subscription_data.trial_period_days');
      expect((await h.row(user.id)).trial_used_at).not.toBeNull();
    });

    it('a checkout that Stripe refuses gives the trial back', async () => {
      const user = await registerVerifiedUser(h.api);
      const price = h.stripe.prices.get(PRICES.proMonthly)!;
      h.stripe.prices.delete(PRICES.proMonthly);
      try {
        const refused = await h.post('/api/v1/billing/checkout', user.accessToken, {
          plan: 'pro',
          interval: 'month',
        });
        expect(refused.status).toBeGreaterThanOrEqual(500);
      } finally {
        h.stripe.putPrice(price);
      }
      expect((await h.row(user.id)).trial_used_at).toBeNull();
      expect(
        (
          await h.post('/api/v1/billing/checkout', user.accessToken, {
            plan: 'pro',
            interval: 'month',
          })
        ).status,
      ).toBe(201);
      expect(h.lastSession()).toMatchObject({ subscription_data: { trial_period_days: '14' } });
    });
  });

  describe('promotion codes and tax', () => {
    it('without a code, checkout shows the promotion code field and collects the address for automatic tax', async () => {
      const user = await registerVerifiedUser(h.api);
      expect(
        (
          await h.post('/api/v1/billing/checkout', user.accessToken, {
            plan: 'pro',
            interval: 'month',
          })
        ).status,
      ).toBe(201);
      const session = h.lastSession();
      expect(session).toMatchObject({
        allow_promotion_codes: 'true',
        automatic_tax: { enabled: 'true' },
        billing_address_collection: 'required',
        customer_update: { address: 'auto', name: 'auto' },
      });
      expect(session).not.toHaveProperty('discounts');
    });

    it('a valid code is applied as the discount (and the field is left out, as Stripe requires)', async () => {
      const user = await registerVerifiedUser(h.api);
      const code = promotionCodeFactory({
        code: `SPRING${nowSeconds()}`,
        coupon: couponFactory({ percentOff: 25 }),
      });
      h.stripe.putPromotionCode(code);
      const response = await h.post('/api/v1/billing/checkout', user.accessToken, {
        plan: 'pro',
        interval: 'month',
        promotionCode: code.code,
      });
      expect(response.status).toBe(201);
      const session = h.lastSession();
      expect(session).toMatchObject({ discounts: { 0: { promotion_code: code.id } } });
      expect(session).not.toHaveProperty('allow_promotion_codes');
      expect(h.stripe.requestsTo('GET', '/v1/promotion_codes').at(-1)!.body).toMatchObject({
        code: code.code,
        active: 'true',
        limit: '1',
      });
    });

    const invalid: [string, () => { code: string }][] = [
      ['unknown', () => ({ code: `NOPE${nowSeconds()}` })],
      [
        'inactive',
        () =>
          promotionCodeFactory({
            code: 'OLDCODE',
            coupon: couponFactory({ percentOff: 10 }),
            active: false,
          }),
      ],
      [
        'expired',
        () =>
          promotionCodeFactory({
            code: `EXPIRED${nowSeconds()}`,
            coupon: couponFactory({ percentOff: 10 }),
            expiresAt: nowSeconds() - 60,
          }),
      ],
      [
        'used up',
        () =>
          promotionCodeFactory({
            code: `USEDUP${nowSeconds()}`,
            coupon: couponFactory({ percentOff: 10 }),
            maxRedemptions: 5,
            timesRedeemed: 5,
          }),
      ],
      [
        'on a coupon no longer valid',
        () =>
          promotionCodeFactory({
            code: `DEAD${nowSeconds()}`,
            coupon: couponFactory({ percentOff: 10, valid: false }),
          }),
      ],
      [
        'for another customer',
        () =>
          promotionCodeFactory({
            code: `MINE${nowSeconds()}`,
            coupon: couponFactory({ amountOff: 500 }),
            customer: 'cus_someone_else',
          }),
      ],
      [
        'above the price (minimum amount)',
        () =>
          promotionCodeFactory({
            code: `BIG${nowSeconds()}`,
            coupon: couponFactory({ amountOff: 500 }),
            minimumAmount: 5000,
          }),
      ],
      [
        'in another currency',
        () =>
          promotionCodeFactory({
            code: `EURO${nowSeconds()}`,
            coupon: couponFactory({ amountOff: 500, currency: 'eur' }),
          }),
      ],
    ];
    it.each(invalid)(
      'an %s code -> 400 invalid_promotion_code, and nothing is created at Stripe',
      async (_case, make) => {
        const code = make();
        if ('id' in code)
          h.stripe.putPromotionCode(code as ReturnType<typeof promotionCodeFactory>);
        const user = await registerVerifiedUser(h.api);
        const posts = h.stripe.requests.filter((request) => request.method === 'POST').length;
        const response = await h.post('/api/v1/billing/checkout', user.accessToken, {
          plan: 'pro',
          interval: 'month',
          promotionCode: code.code,
        });
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({ error: 'invalid_promotion_code' });
        expect(h.stripe.requests.filter((request) => request.method === 'POST')).toHaveLength(
          posts,
        );
        expect(await h.row(user.id)).toMatchObject({
          stripe_customer_id: null,
          trial_used_at: null,
        });
      },
    );

    it.each([
      [{ plan: 'pro', interval: 'month', promotionCode: 'has space' }],
      [{ plan: 'pro', interval: 'month', promotionCode: '' }],
      [{ plan: 'pro', interval: 'month', workspaceId: 'not-a-uuid' }],
      [{ plan: 'pro', interval: 'month', coupon: 'X' }],
    ])('checkout refuses %j with 400', async (body) => {
      const user = await registerVerifiedUser(h.api);
      expect((await h.post('/api/v1/billing/checkout', user.accessToken, body)).status).toBe(400);
    });

    it('checkout for a workspace answers 404 until workspaces bill', async () => {
      const user = await registerVerifiedUser(h.api);
      const response = await h.post('/api/v1/billing/checkout', user.accessToken, {
        plan: 'business',
        interval: 'month',
        workspaceId: '6f1c1f38-3c0e-4c55-9d43-0c1f6c7a9b10',
      });
      expect(response.status).toBe(404);
      expect(((await response.json()) as { message: string }).message).toBe('Workspace not found');
    });
  });

  describe('plan changes', () => {
    const preview = async (token: string, query: string) => {
      const response = await h.get(`/api/v1/billing/change/preview?${query}`, token);
      expect(response.status).toBe(200);
      return (await response.json()) as Preview;
    };

    it("an upgrade is charged at once exactly what its preview said, prorated at the preview's date", async () => {
      const user = await h.paying(PRICES.proMonthly);
      const item = user.subscription.items.data[0];
      const shown = await preview(user.accessToken, 'plan=business&interval=month');
      const unused =
        (item.current_period_end - shown.prorationDate) /
        (item.current_period_end - item.current_period_start);
      expect(shown).toMatchObject({
        kind: 'upgrade',
        atPeriodEnd: false,
        currency: 'usd',
        amountDueNow: Math.round(3900 * unused) - Math.round(1200 * unused),
        nextRenewalAmount: 3900,
        nextRenewalAt: new Date(item.current_period_end * 1000).toISOString(),
      });
      expect(shown.lines.every((line) => line.proration)).toBe(true);

      const response = await h.post('/api/v1/billing/change', user.accessToken, {
        plan: 'business',
        interval: 'month',
        prorationDate: shown.prorationDate,
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        plan: 'business',
        status: 'active',
        source: 'stripe',
        pendingChange: null,
      });
      const update = h.stripe
        .requestsTo('POST', `/v1/subscriptions/${user.subscription.id}`)
        .at(-1)!;
      expect(update.body).toMatchObject({
        items: { 0: { id: item.id, price: PRICES.businessMonthly } },
        proration_behavior: 'always_invoice',
        payment_behavior: 'pending_if_incomplete',
        proration_date: String(shown.prorationDate),
      });
      expect(update.idempotencyKey).toMatch(/^plan-change:/);
      const charged = h.stripe.invoices.get(
        h.stripe.subscriptions.get(user.subscription.id)!.latest_invoice!,
      )!;
      expect(charged.amount_due).toBe(shown.amountDueNow);
      expect(await h.row(user.id)).toMatchObject({
        plan: 'business',
        features: { plan: 'business' },
      });

      // The same request again: already there, nothing charged twice.
      const invoices = h.stripe.invoices.size;
      const again = await h.post('/api/v1/billing/change', user.accessToken, {
        plan: 'business',
        interval: 'month',
        prorationDate: shown.prorationDate,
      });
      expect(again.status).toBe(409);
      expect(await again.json()).toMatchObject({ error: 'plan_unchanged' });
      expect(h.stripe.invoices.size).toBe(invoices);
    });

    it('monthly to yearly starts a yearly period and charges it, less the unused month', async () => {
      const user = await h.paying(PRICES.proMonthly);
      const shown = await preview(user.accessToken, 'plan=pro&interval=year');
      expect(shown.kind).toBe('upgrade');
      expect(shown.nextRenewalAmount).toBe(12_000);
      expect(Date.parse(shown.nextRenewalAt)).toBe((shown.prorationDate + 365 * DAY) * 1000);
      const response = await h.post('/api/v1/billing/change', user.accessToken, {
        plan: 'pro',
        interval: 'year',
        prorationDate: shown.prorationDate,
      });
      expect(response.status).toBe(200);
      const latest = h.stripe.subscriptions.get(user.subscription.id)!.latest_invoice!;
      expect(h.stripe.invoices.get(latest)!.amount_due).toBe(shown.amountDueNow);
    });

    it('a downgrade waits for the end of the paid period, then applies; its preview charges nothing now', async () => {
      const user = await h.paying(PRICES.businessMonthly);
      const item = user.subscription.items.data[0];
      const periodEnd = new Date(item.current_period_end * 1000).toISOString();
      expect(await preview(user.accessToken, 'plan=pro&interval=month')).toMatchObject({
        kind: 'downgrade',
        atPeriodEnd: true,
        amountDueNow: 0,
        nextRenewalAmount: 1200,
        nextRenewalAt: periodEnd,
      });
      const invoices = h.stripe.invoices.size;
      const response = await h.post('/api/v1/billing/change', user.accessToken, {
        plan: 'pro',
        interval: 'month',
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        plan: 'business',
        pendingChange: { plan: 'pro', interval: 'month', effectiveAt: periodEnd },
      });
      expect(h.stripe.invoices.size).toBe(invoices);
      const subscription = h.stripe.subscriptions.get(user.subscription.id)!;
      expect(subscription.items.data[0].price.id).toBe(PRICES.businessMonthly);
      expect(h.stripe.schedules.get(subscription.schedule!)).toMatchObject({
        end_behavior: 'release',
        phases: [
          { end_date: item.current_period_end, items: [{ price: PRICES.businessMonthly }] },
          { start_date: item.current_period_end, items: [{ price: PRICES.proMonthly }] },
        ],
      });
      expect(await h.row(user.id)).toMatchObject({ plan: 'business' });

      expect((await h.deliver(h.stripe.renew(subscription.id))).status).toBe(200);
      expect(await h.row(user.id)).toMatchObject({ plan: 'pro', features: { plan: 'pro' } });
      expect(subscription.schedule).toBeNull();
    });

    it('choosing the current plan again cancels a waiting downgrade', async () => {
      const user = await h.paying(PRICES.businessYearly);
      expect(
        (
          await h.post('/api/v1/billing/change', user.accessToken, {
            plan: 'pro',
            interval: 'year',
          })
        ).status,
      ).toBe(200);
      const schedule = h.stripe.subscriptions.get(user.subscription.id)!.schedule!;
      const response = await h.post('/api/v1/billing/change', user.accessToken, {
        plan: 'business',
        interval: 'year',
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ plan: 'business', pendingChange: null });
      expect(h.stripe.schedules.get(schedule)!.status).toBe('released');
      expect(h.stripe.subscriptions.get(user.subscription.id)!.schedule).toBeNull();
    });

    it('refuses what cannot be changed: the same plan, no paid subscription, a stale proration date', async () => {
      const user = await h.paying(PRICES.proMonthly);
      const same = await h.post('/api/v1/billing/change', user.accessToken, {
        plan: 'pro',
        interval: 'month',
      });
      expect(same.status).toBe(409);
      expect(await same.json()).toMatchObject({ error: 'plan_unchanged' });
      expect(
        (await h.get('/api/v1/billing/change/preview?plan=pro&interval=month', user.accessToken))
          .status,
      ).toBe(409);
      const stale = await h.post('/api/v1/billing/change', user.accessToken, {
        plan: 'business',
        interval: 'month',
        prorationDate: nowSeconds() - 2 * 3600,
      });
      expect(stale.status).toBe(400);

      const free = await registerVerifiedUser(h.api);
      const none = await h.post('/api/v1/billing/change', free.accessToken, {
        plan: 'business',
        interval: 'month',
      });
      expect(none.status).toBe(409);
      expect(await none.json()).toMatchObject({ error: 'no_subscription' });
      expect(
        (await h.get('/api/v1/billing/change/preview?plan=pro&interval=month', free.accessToken))
          .status,
      ).toBe(409);
    });

    it.each([
      [{ plan: 'free', interval: 'month' }],
      [{ plan: 'pro', interval: 'week' }],
      [{ plan: 'pro' }],
      [{ plan: 'pro', interval: 'month', prorationDate: 'soon' }],
      [{ plan: 'pro', interval: 'month', workspaceId: 'nope' }],
      [{ plan: 'pro', interval: 'month', extra: true }],
    ])('change refuses %j with 400', async (body) => {
      const user = await h.paying();
      expect((await h.post('/api/v1/billing/change', user.accessToken, body)).status).toBe(400);
    });

    it.each([
      'plan=free&interval=month',
      'plan=pro',
      'plan=pro&interval=month&workspaceId=nope',
      'plan=pro&interval=month&extra=1',
    ])('preview refuses ?%s with 400', async (query) => {
      const user = await registerVerifiedUser(h.api);
      expect(
        (await h.get(`/api/v1/billing/change/preview?${query}`, user.accessToken)).status,
      ).toBe(400);
    });

    it('a workspace (not billed yet) is not found; an unverified account cannot change', async () => {
      const user = await h.paying();
      const workspaceId = '6f1c1f38-3c0e-4c55-9d43-0c1f6c7a9b10';
      expect(
        (
          await h.post('/api/v1/billing/change', user.accessToken, {
            plan: 'business',
            interval: 'month',
            workspaceId,
          })
        ).status,
      ).toBe(404);
      expect(
        (
          await h.get(
            `/api/v1/billing/change/preview?plan=business&interval=month&workspaceId=${workspaceId}`,
            user.accessToken,
          )
        ).status,
      ).toBe(404);
      const unverified = await registerUser(h.api);
      const refused = await h.post('/api/v1/billing/change', unverified.accessToken, {
        plan: 'business',
        interval: 'month',
      });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: 'email_not_verified' });
    });
  });

  describe('invoices', () => {
    const list = async (token: string, query = '') => {
      const response = await h.get(`/api/v1/billing/invoices${query}`, token);
      expect(response.status).toBe(200);
      return (await response.json()) as Record<string, unknown>[];
    };

    it('no billing account yet: an empty list, and Stripe is not asked', async () => {
      const user = await registerVerifiedUser(h.api);
      const asked = h.stripe.requestsTo('GET', '/v1/invoices').length;
      expect(await list(user.accessToken)).toEqual([]);
      expect(h.stripe.requestsTo('GET', '/v1/invoices')).toHaveLength(asked);
    });

    it("lists the customer's invoices newest first, in the documented shape, at most `limit`", async () => {
      const user = await h.paying();
      const made = [30, 20, 10].map((daysAgo) =>
        invoiceFactory({
          customer: user.customer,
          subscription: user.subscription.id,
          created: nowSeconds() - daysAgo * DAY,
          lines: [
            invoiceLineFactory({
              amount: 1200,
              price: PRICES.proMonthly,
              subscription: user.subscription.id,
              subscriptionItem: user.subscription.items.data[0].id,
              period: { start: nowSeconds() - daysAgo * DAY, end: nowSeconds() },
            }),
          ],
        }),
      );
      made.forEach((invoice) => h.stripe.putInvoice(invoice));
      h.stripe.putInvoice(invoiceFactory({ customer: 'cus_someone_else', subscription: null }));
      const invoices = await list(user.accessToken);
      expect(invoices).toEqual(
        [...made].reverse().map((invoice) => ({
          id: invoice.id,
          number: invoice.number,
          status: 'paid',
          total: 1200,
          currency: 'usd',
          createdAt: new Date(invoice.created * 1000).toISOString(),
          hostedInvoiceUrl: invoice.hosted_invoice_url,
          pdfUrl: invoice.invoice_pdf,
        })),
      );
      expect(h.stripe.requestsTo('GET', '/v1/invoices').at(-1)!.body).toMatchObject({
        customer: user.customer,
        limit: '24',
      });
      expect((await list(user.accessToken, '?limit=2')).map((invoice) => invoice.id)).toEqual([
        made[2].id,
        made[1].id,
      ]);
    });

    it('is served from the cache within its TTL, and a webhook about the customer drops it', async () => {
      const user = await h.paying();
      const first = invoiceFactory({ customer: user.customer, subscription: user.subscription.id });
      h.stripe.putInvoice(first);
      expect(await list(user.accessToken)).toHaveLength(1);
      const asked = h.stripe.requestsTo('GET', '/v1/invoices').length;

      const second = invoiceFactory({
        customer: user.customer,
        subscription: user.subscription.id,
        created: nowSeconds() + 5,
      });
      h.stripe.putInvoice(second);
      expect(await list(user.accessToken)).toHaveLength(1);
      expect(await list(user.accessToken, '?limit=1')).toHaveLength(1);
      expect(h.stripe.requestsTo('GET', '/v1/invoices')).toHaveLength(asked);

      expect((await h.deliver(eventFactory('invoice.paid', second))).status).toBe(200);
      const fresh = await list(user.accessToken);
      expect(fresh.map((invoice) => invoice.id)).toEqual([second.id, first.id]);
      expect(h.stripe.requestsTo('GET', '/v1/invoices')).toHaveLength(asked + 1);
    });

    it.each(['?limit=0', '?limit=101', '?limit=ten', '?workspaceId=nope', '?page=2'])(
      'refuses %s with 400',
      async (query) => {
        const user = await registerVerifiedUser(h.api);
        expect((await h.get(`/api/v1/billing/invoices${query}`, user.accessToken)).status).toBe(
          400,
        );
      },
    );

    it('a workspace (not billed yet) is not found', async () => {
      const user = await registerVerifiedUser(h.api);
      expect(
        (
          await h.get(
            '/api/v1/billing/invoices?workspaceId=6f1c1f38-3c0e-4c55-9d43-0c1f6c7a9b10',
            user.accessToken,
          )
        ).status,
      ).toBe(404);
    });
  });

  it.each([
    ['POST', '/api/v1/billing/change'],
    ['GET', '/api/v1/billing/change/preview?plan=pro&interval=month'],
    ['GET', '/api/v1/billing/invoices'],
  ])('%s %s needs a signed-in user (401)', async (method, path) => {
    const response = await h.api.fetch(path, {
      method,
      ...(method === 'POST' && {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ plan: 'pro', interval: 'month' }),
      }),
    });
    expect(response.status).toBe(401);
  });
});

describe('billing additions with trials, promotion codes and tax off, and downgrades at once', () => {
  const h = billingHarness({ STRIPE_DOWNGRADE_AT_PERIOD_END: 'false' });

  it('checkout offers no trial, no promotion code field and no tax collection', async () => {
    const user = await registerVerifiedUser(h.api);
    const subscription = await h.subscribe(user);
    const session = h.lastSession();
    expect(session).not.toHaveProperty('subscription_data.trial_period_days');
    for (const field of [
      'allow_promotion_codes',
      'automatic_tax',
      'billing_address_collection',
      'customer_update',
      'payment_method_collection',
    ])
      expect(session).not.toHaveProperty(field);
    expect(subscription.status).toBe('active');
    expect((await h.row(user.id)).trial_used_at).toBeNull();
  });

  it('a downgrade applies at once, its unused time credited on the next invoice as previewed', async () => {
    const user = await h.paying(PRICES.businessMonthly);
    const shown = (await (
      await h.get('/api/v1/billing/change/preview?plan=pro&interval=month', user.accessToken)
    ).json()) as Preview;
    expect(shown).toMatchObject({ kind: 'downgrade', atPeriodEnd: false, amountDueNow: 0 });
    const credit = shown.lines
      .filter((line) => line.proration)
      .reduce((sum, l) => sum + l.amount, 0);
    expect(credit).toBeLessThan(0);
    // A credit larger than the renewal leaves nothing due (the rest stays on the balance).
    expect(shown.nextRenewalAmount).toBe(Math.max(0, 1200 + credit));

    const response = await h.post('/api/v1/billing/change', user.accessToken, {
      plan: 'pro',
      interval: 'month',
      prorationDate: shown.prorationDate,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ plan: 'pro', pendingChange: null });
    expect(
      h.stripe.requestsTo('POST', `/v1/subscriptions/${user.subscription.id}`).at(-1)!.body,
    ).toMatchObject({ proration_behavior: 'create_prorations' });
    const pending = h.stripe.pendingItems.get(user.customer)!;
    expect(pending.reduce((sum, line) => sum + line.amount, 0)).toBe(credit);
    expect(await h.row(user.id)).toMatchObject({ plan: 'pro' });
  });
});

describe('billing additions without a Stripe key', () => {
  let api: TestApp;
  beforeAll(async () => {
    api = await startTestApp();
  });
  afterAll(() => api.close());

  it.each([
    ['POST', '/api/v1/billing/change'],
    ['GET', '/api/v1/billing/change/preview?plan=pro&interval=month'],
    ['GET', '/api/v1/billing/invoices'],
  ])('%s %s answers 503 Billing is not configured', async (method, path) => {
    const user = await registerVerifiedUser(api);
    const response = await api.fetch(
      path,
      method === 'POST'
        ? json({ plan: 'pro', interval: 'month' }, { authorization: `Bearer ${user.accessToken}` })
        : bearer(user.accessToken),
    );
    expect(response.status).toBe(503);
    expect(((await response.json()) as { message: string }).message).toBe(
      'Billing is not configured',
    );
  });
});
