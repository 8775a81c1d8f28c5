import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Stripe from 'stripe';
import { stripeId, type SubscriptionFixture } from '../factories/stripe.factory.js';

export interface RecordedRequest {
  method: string;
  path: string;
  body: Record<string, unknown>;
  stripeVersion: string | undefined;
  idempotencyKey: string | undefined;
}

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
  readonly problems: string[] = [];
  private readonly idempotent = new Map<string, { status: number; body: unknown }>();
  private readonly holds: { request: string; reached: () => void; released: Promise<void> }[] = [];
  private failures = 0;
  private server: Server | undefined;
  port = 0;

  constructor(private readonly secretKey: string) {}

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
    const body = method === 'GET' ? Object.fromEntries(url.searchParams) : parseForm(text);
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
      const id = stripeId('cs');
      return [
        200,
        {
          id,
          object: 'checkout.session',
          url: `https://checkout.stripe.test/c/pay/${id}`,
          ...body,
        },
      ];
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
      return subscription ? [200, subscription] : missing('subscription');
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
      const after = body.starting_after
        ? all.findIndex((subscription) => subscription.id === body.starting_after) + 1
        : 0;
      const limit = Number(body.limit ?? 10);
      const data = all.slice(after, after + limit);
      return [
        200,
        { object: 'list', url: '/v1/subscriptions', has_more: after + limit < all.length, data },
      ];
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
}
