import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { PRICES, STRIPE_TEST_ENV, subscriptionFactory } from '../factories/stripe.factory.js';
import { bearer, registerVerifiedUser } from '../factories/users.factory.js';
import { StripeStandIn } from '../support/stripe-stand-in.js';
import {
  json,
  startTestApp,
  TEST_JWT_SECRET,
  TEST_REDIS_URL,
  type TestApp,
} from '../support/test-app.js';

/**
 * Two instances on one database and one Redis, as behind a load balancer. The webhook-driven
 * plan change across instances is in processes.e2e.ts, with real processes.
 */
describe('billing reconciliation across instances', () => {
  const stripe = new StripeStandIn(STRIPE_TEST_ENV.STRIPE_SECRET_KEY);
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    await stripe.start();
    const shared = {
      ...STRIPE_TEST_ENV,
      STRIPE_API_BASE: stripe.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `is-test:${process.env.TEST_RUN_ID}:${randomBytes(4).toString('hex')}`,
    };
    a = await startTestApp({ env: shared });
    b = await startTestApp({ env: shared, databaseUrl: a.config.database.url });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    await stripe.stop();
  });

  it('npm run cli -- billing:reconcile repairs drift and reports it', async () => {
    const user = await registerVerifiedUser(a);
    await a.fetch(
      '/api/v1/billing/checkout',
      json({ plan: 'pro', interval: 'month' }, { authorization: `Bearer ${user.accessToken}` }),
    );
    const [{ stripe_customer_id: customer }] = await a.query<{ stripe_customer_id: string }>(
      `SELECT stripe_customer_id FROM subscriptions WHERE user_id = $1`,
      [user.id],
    );
    // Stripe holds a subscription the database never heard of (a lost webhook).
    stripe.putSubscription(
      subscriptionFactory({ customer, userId: user.id, price: PRICES.businessMonthly }),
    );
    const output = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const child = spawn(process.execPath, ['dist/src/cli.js', 'billing:reconcile'], {
        env: {
          PATH: process.env.PATH ?? '',
          NODE_ENV: 'test',
          LOG_LEVEL: 'silent',
          DATABASE_URL: a.config.database.url!,
          JWT_SECRET: TEST_JWT_SECRET,
          ...STRIPE_TEST_ENV,
          STRIPE_API_BASE: stripe.url,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.on('exit', (code) => resolve({ code, text }));
    });
    expect(output.code).toBe(0);
    expect(output.text).toContain(`user ${user.id}: free/active -> business/active`);
    expect(output.text).toMatch(/Reconciled with Stripe: \d+ subscription\(s\) changed/);
    const me = await b.fetch('/api/v1/subscriptions/me', bearer(user.accessToken));
    expect(((await me.json()) as { plan: string }).plan).toBe('business');
  });
});
