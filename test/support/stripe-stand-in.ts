import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Stripe from 'stripe';
import {
  eventFactory,
  invoiceFactory,
  invoiceLineFactory,
  periodSeconds,
  priceFactory,
  PRICES,
  stripeId,
  subscriptionFactory,
  type InvoiceFixture,
  type InvoiceLineFixture,
  type PriceFixture,
  type PromotionCodeFixture,
  type SubscriptionFixture,
} from '../factories/stripe.factory.js';

export interface RecordedRequest {
  method: string;
  path: string;
  body: Record<string, unknown>;
  stripeVersion: string | undefined;
  idempotencyKey: string | undefined;
}

type Params = Record<string, unknown>;

export interface SchedulePhase {
  start_date: number;
  end_date: number | null;
  items: { price: string; quantity: number }[];
}

export interface ScheduleFixture {
  id: string;
  object: 'subscription_schedule';
  customer: string;
  subscription: string | null;
  status: 'active' | 'released' | 'canceled' | 'completed' | 'not_started';
  end_behavior: string;
  current_phase: { start_date: number; end_date: number } | null;
  phases: SchedulePhase[];
  released_at: number | null;
  released_subscription: string | null;
  created: number;
  livemode: false;
  metadata: Record<string, string>;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A form list (a[0]=x&a[1]=y parses to {0: x, 1: y}) as an array. */
function listOf(value: unknown): Params[] {
  if (!value || typeof value !== 'object') return [];
  return Object.keys(value)
    .sort((a, b) => Number(a) - Number(b))
    .map((key) => (value as Record<string, Params>)[key]);
}

const stripeError = (status: number, message: string, code?: string): [number, unknown] => [
  status,
  { error: { type: 'invalid_request_error', message, ...(code && { code }) } },
];

/** Stripe's form encoding (a[b][0][c]=d) back into objects. */
function parseForm(text: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const parts = key.replace(/\]/g, '').split('[');
    let node = root;
    parts.forEach((part, index) => {
      if (index === parts.length - 1) node[part] = value;
      else node = (node[part] ??= {}) as Record<string, unknown>;
    });
  }
  return root;
}

/**
 * A Stripe-compatible HTTP server for tests: the real SDK talks to it through
 * STRIPE_API_BASE. It keeps customers, checkout sessions and subscriptions, checks the
 * requests it receives (secret key, Stripe-Version, Idempotency-Key on POST), replays a
 * response for a repeated idempotency key, and can fail on demand.
 */
export class StripeStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly customers = new Map<string, Record<string, unknown>>();
  readonly subscriptions = new Map<string, SubscriptionFixture>();
  readonly prices = new Map<string, PriceFixture>();
  readonly sessions = new Map<string, Params>();
  readonly invoices = new Map<string, InvoiceFixture>();
  readonly promotionCodes = new Map<string, PromotionCodeFixture>();
  readonly schedules = new Map<string, ScheduleFixture>();
  /** Prorations created by subscription updates and not invoiced yet, per customer. */
  readonly pendingItems = new Map<string, InvoiceLineFixture[]>();
  readonly problems: string[] = [];
  private readonly idempotent = new Map<string, { status: number; body: unknown }>();
  private readonly holds: { request: string; reached: () => void; released: Promise<void> }[] = [];
  private failures = 0;
  private server: Server | undefined;
  port = 0;

  constructor(private readonly secretKey: string) {
    for (const id of Object.values(PRICES)) this.putPrice(priceFactory(id));
  }

  putPrice(price: PriceFixture): void {
    this.prices.set(price.id, price);
  }

  putInvoice(invoice: InvoiceFixture): void {
    this.invoices.set(invoice.id, invoice);
  }

  putPromotionCode(code: PromotionCodeFixture): void {
    this.promotionCodes.set(code.id, code);
  }

  /** The requests made so far to `method path` (path may be a pattern). */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter(
      (request) =>
        request.method === method &&
        (typeof path === 'string' ? request.path === path : path.test(request.path)),
    );
  }

  /**
   * What Stripe does when a customer pays (or, for a trial, completes) a checkout session: a
   * subscription with the session's price, quantity, metadata and trial, and the completed
   * session. Returns the checkout.session.completed event for the test to deliver.
   */
  completeCheckout(
    sessionId: string,
    { paymentMethod = true }: { paymentMethod?: boolean } = {},
  ): { subscription: SubscriptionFixture; event: ReturnType<typeof eventFactory> } {
    const session = this.sessions.get(sessionId);
    if (!session) throw new Error(`no checkout session ${sessionId}`);
    const data = (session.subscription_data ?? {}) as Params;
    const [line] = listOf(session.line_items);
    const now = nowSeconds();
    const trialDays = Number(data.trial_period_days ?? 0);
    const trial = trialDays > 0 ? { start: now, end: now + trialDays * 86_400 } : undefined;
    const subscription = subscriptionFactory({
      customer: String(session.customer),
      price: String(line.price),
      quantity: Number(line.quantity ?? 1),
      status: trial ? 'trialing' : 'active',
      created: now,
      periodStart: now,
      periodEnd: trial?.end,
      trial,
    });
    subscription.metadata = (data.metadata ?? {}) as Record<string, string>;
    subscription.default_payment_method = paymentMethod ? stripeId('pm') : null;
    const ending = ((data.trial_settings as Params | undefined)?.end_behavior as Params | undefined)
      ?.missing_payment_method;
    if (ending)
      subscription.trial_settings.end_behavior.missing_payment_method = ending as 'cancel';
    this.putSubscription(subscription);
    const item = subscription.items.data[0];
    const invoice = invoiceFactory({
      customer: subscription.customer,
      subscription: subscription.id,
      billingReason: 'subscription_create',
      lines: [
        invoiceLineFactory({
          amount: trial ? 0 : item.price.unit_amount * item.quantity,
          price: item.price.id,
          quantity: item.quantity,
          subscription: subscription.id,
          subscriptionItem: item.id,
          period: { start: item.current_period_start, end: item.current_period_end },
        }),
      ],
    });
    this.putInvoice(invoice);
    subscription.latest_invoice = invoice.id;
    Object.assign(session, {
      status: 'complete',
      payment_status: trial ? 'no_payment_required' : 'paid',
      subscription: subscription.id,
      invoice: invoice.id,
    });
    return { subscription, event: eventFactory('checkout.session.completed', { ...session }) };
  }

  /**
   * A trial's end: without a payment method and with missing_payment_method 'cancel' the
   * subscription is canceled (customer.subscription.deleted), else it turns active.
   */
  endTrial(subscriptionId: string): ReturnType<typeof eventFactory> {
    const subscription = this.subscriptions.get(subscriptionId)!;
    const end = subscription.trial_end ?? nowSeconds();
    if (
      !subscription.default_payment_method &&
      subscription.trial_settings.end_behavior.missing_payment_method === 'cancel'
    ) {
      Object.assign(subscription, { status: 'canceled', ended_at: end, canceled_at: end });
      return eventFactory('customer.subscription.deleted', { ...subscription });
    }
    subscription.status = 'active';
    return eventFactory('customer.subscription.updated', { ...subscription });
  }

  /**
   * The current period ends: the next phase of the subscription's schedule (if any) applies,
   * a new period starts and its invoice is paid. Returns the customer.subscription.updated
   * event.
   */
  renew(subscriptionId: string): ReturnType<typeof eventFactory> {
    const subscription = this.subscriptions.get(subscriptionId)!;
    const item = subscription.items.data[0];
    const end = item.current_period_end;
    const schedule = subscription.schedule ? this.schedules.get(subscription.schedule) : undefined;
    if (schedule) {
      const next = schedule.phases.find((phase) => phase.start_date >= end);
      if (next) {
        item.price = this.prices.get(next.items[0].price)!;
        item.quantity = next.items[0].quantity;
        schedule.current_phase = { start_date: end, end_date: next.end_date ?? 0 };
      }
      if (!next || next === schedule.phases.at(-1)) this.release(schedule);
    }
    item.current_period_start = end;
    item.current_period_end = end + periodSeconds(item.price.recurring.interval);
    if (subscription.status === 'trialing') subscription.status = 'active';
    const pending = this.pendingItems.get(subscription.customer) ?? [];
    this.pendingItems.delete(subscription.customer);
    const invoice = invoiceFactory({
      customer: subscription.customer,
      subscription: subscription.id,
      lines: [...pending, this.periodLine(subscription)],
    });
    this.putInvoice(invoice);
    subscription.latest_invoice = invoice.id;
    return eventFactory('customer.subscription.updated', { ...subscription });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The next `count` requests answer 500 (the SDK retries, so count its attempts). */
  failNext(count: number): void {
    this.failures = count;
  }

  /**
   * Holds the answer to the next `method path` request: computed when it arrives (Stripe's
   * state at that moment), sent on release. `reached` settles once the request is held.
   */
  holdNext(method: string, path: string): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const isReached = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.holds.push({ request: `${method} ${path}`, reached, released });
    return { reached: isReached, release };
  }

  putSubscription(subscription: SubscriptionFixture): void {
    this.subscriptions.set(subscription.id, subscription);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of req) text += chunk;
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const method = req.method ?? 'GET';
    const body = parseForm(method === 'GET' ? url.searchParams.toString() : text);
    const header = (name: string) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const recorded: RecordedRequest = {
      method,
      path: url.pathname,
      body,
      stripeVersion: header('stripe-version'),
      idempotencyKey: header('idempotency-key'),
    };
    this.requests.push(recorded);

    const sendText = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': stripeId('req') });
      res.end(text);
    };
    const send = (status: number, payload: unknown) => sendText(status, JSON.stringify(payload));
    if (header('authorization') !== `Bearer ${this.secretKey}`) {
      return send(401, { error: { type: 'invalid_request_error', message: 'Invalid API key' } });
    }
    if (recorded.stripeVersion !== Stripe.API_VERSION)
      this.problems.push(`Stripe-Version ${recorded.stripeVersion}`);
    // The SDK sends an Idempotency-Key with every POST (DELETE and GET are idempotent already).
    if (method === 'POST' && !recorded.idempotencyKey) {
      this.problems.push(`no Idempotency-Key on ${method} ${url.pathname}`);
    }
    if (this.failures > 0) {
      this.failures--;
      return send(500, { error: { type: 'api_error', message: 'Injected failure' } });
    }
    const replayKey = recorded.idempotencyKey
      ? `${method} ${url.pathname} ${recorded.idempotencyKey}`
      : undefined;
    const replay = replayKey ? this.idempotent.get(replayKey) : undefined;
    if (replay) return send(replay.status, replay.body);

    const [status, payload] = this.route(method, url.pathname, body);
    if (replayKey && method === 'POST') this.idempotent.set(replayKey, { status, body: payload });
    const hold = this.holds.findIndex((held) => held.request === `${method} ${url.pathname}`);
    if (hold !== -1) {
      const [held] = this.holds.splice(hold, 1);
      const text = JSON.stringify(payload);
      held.reached();
      await held.released;
      return sendText(status, text);
    }
    send(status, payload);
  }

  private route(method: string, path: string, body: Record<string, unknown>): [number, unknown] {
    const missing = (what: string): [number, unknown] => [
      404,
      {
        error: {
          type: 'invalid_request_error',
          code: 'resource_missing',
          message: `No such ${what}`,
        },
      },
    ];
    let match: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/customers') {
      const customer = {
        id: stripeId('cus'),
        object: 'customer',
        email: body.email ?? null,
        metadata: body.metadata ?? {},
      };
      this.customers.set(customer.id, customer);
      return [200, customer];
    }
    if (method === 'POST' && (match = /^\/v1\/customers\/([^/]+)$/.exec(path))) {
      const customer = this.customers.get(match[1]);
      if (!customer) return missing('customer');
      if (body.email !== undefined) customer.email = body.email;
      return [200, customer];
    }
    if (method === 'DELETE' && (match = /^\/v1\/customers\/([^/]+)$/.exec(path))) {
      if (!this.customers.delete(match[1])) return missing('customer');
      return [200, { id: match[1], object: 'customer', deleted: true }];
    }
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      if (body.allow_promotion_codes !== undefined && body.discounts !== undefined) {
        return stripeError(
          400,
          'You may only specify one of these parameters: allow_promotion_codes, discounts.',
        );
      }
      if (body.customer_update !== undefined && body.customer === undefined) {
        return stripeError(400, 'customer_update can only be used with customer.');
      }
      for (const [line] of [listOf(body.line_items)]) {
        if (!line || !this.prices.has(String(line.price)))
          return missing(`price: '${String(line?.price)}'`);
      }
      const id = stripeId('cs');
      const session = {
        id,
        object: 'checkout.session',
        url: `https://checkout.stripe.test/c/pay/${id}`,
        status: 'open',
        payment_status: 'unpaid',
        subscription: null,
        created: nowSeconds(),
        livemode: false,
        ...body,
      };
      this.sessions.set(id, session);
      return [200, session];
    }
    if (method === 'GET' && (match = /^\/v1\/prices\/([^/]+)$/.exec(path))) {
      const price = this.prices.get(match[1]);
      return price ? [200, price] : missing('price');
    }
    if (method === 'POST' && (match = /^\/v1\/subscriptions\/([^/]+)$/.exec(path))) {
      return this.updateSubscription(match[1], body);
    }
    if (method === 'POST' && path === '/v1/invoices/create_preview') {
      return this.preview(body);
    }
    if (method === 'GET' && path === '/v1/invoices') {
      const all = [...this.invoices.values()]
        .filter((invoice) => !body.customer || invoice.customer === body.customer)
        .filter(
          (invoice) =>
            !body.subscription ||
            invoice.parent?.subscription_details.subscription === body.subscription,
        )
        .sort((a, b) => b.created - a.created || b.id.localeCompare(a.id));
      return [200, this.page('/v1/invoices', all, body)];
    }
    if (method === 'GET' && path === '/v1/promotion_codes') {
      const expandCoupon = listOf(body.expand).includes(
        'data.promotion.coupon' as unknown as Params,
      );
      const all = [...this.promotionCodes.values()]
        .filter((code) => !body.code || code.code.toLowerCase() === String(body.code).toLowerCase())
        .filter((code) => body.active === undefined || String(code.active) === body.active)
        .sort((a, b) => b.created - a.created || b.id.localeCompare(a.id))
        .map((code) => ({
          ...code,
          promotion: {
            ...code.promotion,
            coupon:
              expandCoupon || typeof code.promotion.coupon === 'string'
                ? code.promotion.coupon
                : code.promotion.coupon.id,
          },
        }));
      return [200, this.page('/v1/promotion_codes', all, body)];
    }
    if (method === 'POST' && path === '/v1/subscription_schedules') {
      return this.scheduleFrom(String(body.from_subscription));
    }
    if (method === 'GET' && (match = /^\/v1\/subscription_schedules\/([^/]+)$/.exec(path))) {
      const schedule = this.schedules.get(match[1]);
      return schedule ? [200, schedule] : missing('subscription_schedule');
    }
    if (method === 'POST' && (match = /^\/v1\/subscription_schedules\/([^/]+)$/.exec(path))) {
      return this.updateSchedule(match[1], body);
    }
    if (
      method === 'POST' &&
      (match = /^\/v1\/subscription_schedules\/([^/]+)\/release$/.exec(path))
    ) {
      const schedule = this.schedules.get(match[1]);
      if (!schedule) return missing('subscription_schedule');
      if (schedule.status !== 'active') return stripeError(400, 'The schedule is not active.');
      this.release(schedule);
      return [200, schedule];
    }
    if (method === 'POST' && path === '/v1/billing_portal/sessions') {
      if (!this.customers.has(String(body.customer))) return missing('customer');
      const id = stripeId('bps');
      return [
        200,
        {
          id,
          object: 'billing_portal.session',
          url: `https://billing.stripe.test/p/session/${id}`,
          ...body,
        },
      ];
    }
    if (method === 'GET' && (match = /^\/v1\/subscriptions\/([^/]+)$/.exec(path))) {
      const subscription = this.subscriptions.get(match[1]);
      if (!subscription) return missing('subscription');
      const expanded = listOf(body.expand) as unknown[];
      const schedule = subscription.schedule && this.schedules.get(subscription.schedule);
      return [
        200,
        expanded.includes('schedule') && schedule ? { ...subscription, schedule } : subscription,
      ];
    }
    if (method === 'DELETE' && (match = /^\/v1\/subscriptions\/([^/]+)$/.exec(path))) {
      const subscription = this.subscriptions.get(match[1]);
      if (!subscription) return missing('subscription');
      subscription.status = 'canceled';
      return [200, subscription];
    }
    if (method === 'GET' && path === '/v1/subscriptions') {
      const all = [...this.subscriptions.values()]
        .filter((subscription) => !body.customer || subscription.customer === body.customer)
        .sort((a, b) => a.id.localeCompare(b.id));
      return [200, this.page('/v1/subscriptions', all, body)];
    }
    return [
      404,
      {
        error: {
          type: 'invalid_request_error',
          message: `Unrecognized request URL (${method}: ${path})`,
        },
      },
    ];
  }

  /** One page of a list, as Stripe pages (limit 1-100, default 10; starting_after an id). */
  private page<T extends { id: string }>(url: string, all: T[], body: Params) {
    const after = body.starting_after
      ? all.findIndex((entry) => entry.id === body.starting_after) + 1
      : 0;
    const limit = Math.min(Number(body.limit ?? 10), 100);
    return {
      object: 'list',
      url,
      has_more: after + limit < all.length,
      data: all.slice(after, after + limit),
    };
  }

  /** The line charging a subscription's current period at its price. */
  private periodLine(subscription: SubscriptionFixture, price?: PriceFixture, quantity?: number) {
    const item = subscription.items.data[0];
    const charged = price ?? item.price;
    const units = quantity ?? item.quantity;
    return invoiceLineFactory({
      amount: charged.unit_amount * units,
      currency: charged.currency,
      description: `${units} × ${charged.id}`,
      price: charged.id,
      quantity: units,
      subscription: subscription.id,
      subscriptionItem: item.id,
      period: { start: item.current_period_start, end: item.current_period_end },
    });
  }

  /**
   * What swapping the subscription's item to `price` x `quantity` at `date` costs, as Stripe
   * prorates: a credit for the unused time of the old price and a charge for the rest of the
   * period at the new one, to the second. A change of interval starts a new period at `date`
   * (the new price's full period is charged, the old one's unused time credited). Nothing is
   * prorated during a trial.
   */
  private prorate(
    subscription: SubscriptionFixture,
    price: PriceFixture,
    quantity: number,
    date: number,
  ): { lines: InvoiceLineFixture[]; resetsPeriod: boolean } {
    const item = subscription.items.data[0];
    const { current_period_start: start, current_period_end: end } = item;
    const resetsPeriod = price.recurring.interval !== item.price.recurring.interval;
    if (subscription.status === 'trialing') return { lines: [], resetsPeriod };
    const unused = Math.max(0, Math.min(1, (end - date) / (end - start)));
    const line = (
      amount: number,
      charged: PriceFixture,
      units: number,
      proration: boolean,
      period: { start: number; end: number },
      description: string,
    ) =>
      invoiceLineFactory({
        amount,
        currency: charged.currency,
        description,
        price: charged.id,
        quantity: units,
        subscription: subscription.id,
        subscriptionItem: item.id,
        proration,
        period,
      });
    const lines = [
      line(
        -Math.round(item.price.unit_amount * item.quantity * unused),
        item.price,
        item.quantity,
        true,
        { start: date, end },
        `Unused time on ${item.price.id}`,
      ),
      resetsPeriod
        ? line(
            price.unit_amount * quantity,
            price,
            quantity,
            false,
            { start: date, end: date + periodSeconds(price.recurring.interval) },
            `${quantity} × ${price.id}`,
          )
        : line(
            Math.round(price.unit_amount * quantity * unused),
            price,
            quantity,
            true,
            { start: date, end },
            `Remaining time on ${price.id}`,
          ),
    ];
    return { lines, resetsPeriod };
  }

  /** The requested item change (items[0][id|price|quantity]), checked as Stripe checks it. */
  private itemChange(
    subscription: SubscriptionFixture,
    items: unknown,
  ): { price: PriceFixture; quantity: number } | [number, unknown] | undefined {
    const [change] = listOf(items);
    if (!change) return undefined;
    const item = subscription.items.data[0];
    if (change.id !== undefined && change.id !== item.id)
      return stripeError(
        400,
        `No such subscription item: '${String(change.id)}'`,
        'resource_missing',
      );
    const price = change.price === undefined ? item.price : this.prices.get(String(change.price));
    if (!price)
      return stripeError(400, `No such price: '${String(change.price)}'`, 'resource_missing');
    return { price, quantity: Number(change.quantity ?? item.quantity) };
  }

  private updateSubscription(id: string, body: Params): [number, unknown] {
    const subscription = this.subscriptions.get(id);
    if (!subscription) return stripeError(404, 'No such subscription', 'resource_missing');
    if (['canceled', 'incomplete_expired'].includes(subscription.status))
      return stripeError(
        400,
        'A canceled subscription can only update its cancellation_details and metadata.',
      );
    const change = this.itemChange(subscription, body.items);
    if (Array.isArray(change)) return change;
    if (change && subscription.schedule)
      return stripeError(
        400,
        'The subscription is managed by the subscription schedule; update the schedule instead.',
      );
    const behavior = String(body.proration_behavior ?? 'create_prorations');
    if (!['create_prorations', 'always_invoice', 'none'].includes(behavior))
      return stripeError(400, `Invalid proration_behavior: ${behavior}`);
    const date = body.proration_date === undefined ? nowSeconds() : Number(body.proration_date);
    const item = subscription.items.data[0];
    if (change && (change.price.id !== item.price.id || change.quantity !== item.quantity)) {
      const { lines, resetsPeriod } = this.prorate(
        subscription,
        change.price,
        change.quantity,
        date,
      );
      const prorations =
        behavior === 'none'
          ? lines.filter((line) => !line.parent.subscription_item_details.proration)
          : lines;
      item.price = change.price;
      item.quantity = change.quantity;
      if (resetsPeriod) {
        item.current_period_start = date;
        item.current_period_end = date + periodSeconds(change.price.recurring.interval);
      }
      if (prorations.length > 0) {
        if (behavior === 'always_invoice' || resetsPeriod) {
          const pending = this.pendingItems.get(subscription.customer) ?? [];
          this.pendingItems.delete(subscription.customer);
          const invoice = invoiceFactory({
            customer: subscription.customer,
            subscription: subscription.id,
            billingReason: 'subscription_update',
            lines: [...pending, ...prorations],
          });
          this.putInvoice(invoice);
          subscription.latest_invoice = invoice.id;
        } else {
          this.pendingItems.set(subscription.customer, [
            ...(this.pendingItems.get(subscription.customer) ?? []),
            ...prorations,
          ]);
        }
      }
    }
    if (body.cancel_at_period_end !== undefined)
      subscription.cancel_at_period_end = body.cancel_at_period_end === 'true';
    if (body.metadata !== undefined)
      subscription.metadata = {
        ...subscription.metadata,
        ...(body.metadata as Record<string, string>),
      };
    if (body.trial_end !== undefined) {
      const end = body.trial_end === 'now' ? nowSeconds() : Number(body.trial_end);
      subscription.trial_end = end;
      if (end <= nowSeconds()) subscription.status = 'active';
    }
    return [200, subscription];
  }

  /** An invoice preview (POST /v1/invoices/create_preview), computed as updateSubscription bills. */
  private preview(body: Params): [number, unknown] {
    const subscription = body.subscription
      ? this.subscriptions.get(String(body.subscription))
      : undefined;
    if (!subscription)
      return stripeError(400, 'No upcoming invoices for customer', 'invoice_upcoming_none');
    if (body.customer !== undefined && body.customer !== subscription.customer)
      return stripeError(400, 'The subscription does not belong to the customer.');
    const details = (body.subscription_details ?? {}) as Params;
    const change = this.itemChange(subscription, details.items);
    if (Array.isArray(change)) return change;
    const behavior = String(details.proration_behavior ?? 'create_prorations');
    const date =
      details.proration_date === undefined ? nowSeconds() : Number(details.proration_date);
    const pending = this.pendingItems.get(subscription.customer) ?? [];
    const item = subscription.items.data[0];
    let lines: InvoiceLineFixture[];
    if (!change || (change.price.id === item.price.id && change.quantity === item.quantity)) {
      lines = [...pending, this.nextPeriodLine(subscription, item.price, item.quantity)];
    } else {
      const { lines: prorations, resetsPeriod } = this.prorate(
        subscription,
        change.price,
        change.quantity,
        date,
      );
      if (behavior === 'always_invoice' || resetsPeriod) {
        lines = [
          ...pending,
          ...(behavior === 'none'
            ? prorations.filter((line) => !line.parent.subscription_item_details.proration)
            : prorations),
        ];
      } else {
        lines = [
          ...pending,
          ...(behavior === 'none' ? [] : prorations),
          this.nextPeriodLine(subscription, change.price, change.quantity),
        ];
      }
    }
    const invoice = invoiceFactory({
      customer: subscription.customer,
      subscription: subscription.id,
      status: 'draft',
      billingReason: 'upcoming',
      lines,
      currency: (change?.price ?? item.price).currency,
    });
    return [200, { ...invoice, id: `upcoming_${invoice.id}` }];
  }

  private nextPeriodLine(subscription: SubscriptionFixture, price: PriceFixture, quantity: number) {
    const item = subscription.items.data[0];
    const start = item.current_period_end;
    return invoiceLineFactory({
      amount: price.unit_amount * quantity,
      currency: price.currency,
      description: `${quantity} × ${price.id}`,
      price: price.id,
      quantity,
      subscription: subscription.id,
      subscriptionItem: item.id,
      period: { start, end: start + periodSeconds(price.recurring.interval) },
    });
  }

  private scheduleFrom(subscriptionId: string): [number, unknown] {
    const subscription = this.subscriptions.get(subscriptionId);
    if (!subscription)
      return stripeError(400, `No such subscription: '${subscriptionId}'`, 'resource_missing');
    if (subscription.schedule)
      return stripeError(
        400,
        `The subscription is already attached to schedule ${subscription.schedule}.`,
      );
    const item = subscription.items.data[0];
    const schedule: ScheduleFixture = {
      id: stripeId('sub_sched'),
      object: 'subscription_schedule',
      customer: subscription.customer,
      subscription: subscription.id,
      status: 'active',
      end_behavior: 'release',
      current_phase: { start_date: item.current_period_start, end_date: item.current_period_end },
      phases: [
        {
          start_date: item.current_period_start,
          end_date: item.current_period_end,
          items: [{ price: item.price.id, quantity: item.quantity }],
        },
      ],
      released_at: null,
      released_subscription: null,
      created: nowSeconds(),
      livemode: false,
      metadata: {},
    };
    this.schedules.set(schedule.id, schedule);
    subscription.schedule = schedule.id;
    return [200, schedule];
  }

  private updateSchedule(id: string, body: Params): [number, unknown] {
    const schedule = this.schedules.get(id);
    if (!schedule) return stripeError(404, 'No such subscription_schedule', 'resource_missing');
    if (schedule.status !== 'active') return stripeError(400, 'The schedule is not active.');
    if (body.phases !== undefined) {
      const phases = listOf(body.phases).map((phase, index, all): SchedulePhase | string => {
        const items = listOf(phase.items).map((entry) => ({
          price: String(entry.price),
          quantity: Number(entry.quantity ?? 1),
        }));
        if (items.length === 0 || items.some((entry) => !this.prices.has(entry.price)))
          return `phases[${index}][items] names no known price`;
        const start = phase.start_date === undefined ? undefined : Number(phase.start_date);
        const end = phase.end_date === undefined ? null : Number(phase.end_date);
        if (index === 0 && start !== schedule.current_phase?.start_date)
          return 'You can not modify the start date of the current phase.';
        const previous = all[index - 1];
        return {
          start_date: start ?? Number(previous?.end_date),
          end_date: end,
          items,
        };
      });
      const problem = phases.find((phase) => typeof phase === 'string');
      if (problem) return stripeError(400, problem);
      schedule.phases = phases as SchedulePhase[];
    }
    if (body.end_behavior !== undefined) schedule.end_behavior = String(body.end_behavior);
    return [200, schedule];
  }

  private release(schedule: ScheduleFixture): void {
    const subscription = schedule.subscription
      ? this.subscriptions.get(schedule.subscription)
      : undefined;
    if (subscription) subscription.schedule = null;
    Object.assign(schedule, {
      status: 'released',
      released_at: nowSeconds(),
      released_subscription: schedule.subscription,
      subscription: null,
      current_phase: null,
    });
  }
}
