import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  eventFactory,
  deliverWebhook,
  STRIPE_TEST_ENV,
  stripeId,
  subscriptionFactory,
  PRICES,
} from '../factories/stripe.factory.js';
import { registerVerifiedUser, type RegisteredUser } from '../factories/users.factory.js';
import { WorkspaceFactory } from '../factories/workspaces.factory.js';
import { TestSmtpServer } from '../support/smtp.js';
import { StripeStandIn } from '../support/stripe-stand-in.js';
import { json, startTestApp, type TestApp } from '../support/test-app.js';

/** What an attacker tries against workspaces and their billing, and what must hold. */
describe('workspace security', () => {
  const stripe = new StripeStandIn(STRIPE_TEST_ENV.STRIPE_SECRET_KEY);
  const smtp = new TestSmtpServer();
  let api: TestApp;
  let workspaces: WorkspaceFactory;

  beforeAll(async () => {
    await Promise.all([stripe.start(), smtp.start()]);
    api = await startTestApp({
      env: { ...STRIPE_TEST_ENV, ...smtp.env, STRIPE_API_BASE: stripe.url, TRIAL_DAYS: '14' },
    });
    workspaces = new WorkspaceFactory(api, smtp);
  });
  afterAll(async () => {
    await api.close();
    await Promise.all([stripe.stop(), smtp.stop()]);
  });
  afterEach(() => {
    expect(stripe.problems).toEqual([]);
  });

  const call = (method: string, path: string, user: RegisteredUser, body?: object) =>
    workspaces.call(method, path, user, body);
  const post = (path: string, user: RegisteredUser, body: unknown = {}) =>
    api.fetch(path, json(body, { authorization: `Bearer ${user.accessToken}` }));
  const deliver = (event: object) => deliverWebhook(api, event);
  const subscriptionRow = async (column: 'user_id' | 'workspace_id', id: string) =>
    (
      await api.query<{
        plan: string;
        stripe_customer_id: string | null;
        stripe_subscription_id: string | null;
      }>(
        `SELECT plan, stripe_customer_id, stripe_subscription_id FROM subscriptions
          WHERE ${column} = $1`,
        [id],
      )
    )[0];

  /** Checkout for `body`, completed at Stripe, its webhook delivered. */
  async function subscribe(user: RegisteredUser, body: Record<string, unknown>) {
    const response = await post('/api/v1/billing/checkout', user, body);
    expect(response.status).toBe(201);
    const { sessionId } = (await response.json()) as { sessionId: string };
    const completed = stripe.completeCheckout(sessionId);
    expect((await deliver(completed.event)).status).toBe(200);
    return completed.subscription;
  }

  describe('invitations outlive no authority', () => {
    it("a removed admin's open invitations stop working", async () => {
      const owner = await registerVerifiedUser(api);
      const workspace = await workspaces.create(owner);
      const rogue = await workspaces.member(workspace.id, owner, 'admin');
      // Before being removed, the admin invites an address of their own as an admin.
      const accomplice = await registerVerifiedUser(api);
      const token = await workspaces.invite(workspace.id, rogue, accomplice.email, 'admin');

      expect(
        (await call('DELETE', `/api/v1/workspaces/${workspace.id}/members/${rogue.id}`, owner))
          .status,
      ).toBe(204);

      expect((await workspaces.accept(accomplice, token)).status).toBe(400);
      expect((await call('GET', `/api/v1/workspaces/${workspace.id}`, accomplice)).status).toBe(
        404,
      );
      const open = await call('GET', `/api/v1/workspaces/${workspace.id}/invitations`, owner);
      expect(await open.json()).toEqual([]);
    });

    it("a demoted admin's open invitations stop working; others' stay", async () => {
      const owner = await registerVerifiedUser(api);
      const workspace = await workspaces.create(owner);
      const admin = await workspaces.member(workspace.id, owner, 'admin');
      const fromAdmin = await registerVerifiedUser(api);
      const fromOwner = await registerVerifiedUser(api);
      const adminToken = await workspaces.invite(workspace.id, admin, fromAdmin.email, 'admin');
      const ownerToken = await workspaces.invite(workspace.id, owner, fromOwner.email, 'member');

      const demoted = await call(
        'PATCH',
        `/api/v1/workspaces/${workspace.id}/members/${admin.id}`,
        owner,
        { role: 'member' },
      );
      expect(demoted.status).toBe(200);

      expect((await workspaces.accept(fromAdmin, adminToken)).status).toBe(400);
      expect((await workspaces.accept(fromOwner, ownerToken)).status).toBe(200);
    });
  });

  describe('other workspaces', () => {
    it("an admin of one workspace cannot revoke, or read, another workspace's invitations", async () => {
      const owner = await registerVerifiedUser(api);
      const victim = await workspaces.create(owner, 'Victim');
      const invitee = await registerVerifiedUser(api);
      await workspaces.invite(victim.id, owner, invitee.email);
      const [invitation] = (await (
        await call('GET', `/api/v1/workspaces/${victim.id}/invitations`, owner)
      ).json()) as { id: string }[];
      const attacker = await registerVerifiedUser(api);
      const own = await workspaces.create(attacker, 'Attacker');

      const path = (id: string) => `/api/v1/workspaces/${id}/invitations/${invitation.id}`;
      expect((await call('DELETE', path(own.id), attacker)).status).toBe(404);
      expect((await call('DELETE', path(victim.id), attacker)).status).toBe(404);
      expect(
        (await call('GET', `/api/v1/workspaces/${victim.id}/invitations`, attacker)).status,
      ).toBe(404);
      for (const route of ['invoices', 'timeline', 'change/preview?plan=business&interval=year&'])
        expect(
          (
            await api.fetch(
              `/api/v1/billing/${route}${route.includes('?') ? '' : '?'}workspaceId=${victim.id}`,
              { headers: { authorization: `Bearer ${attacker.accessToken}` } },
            )
          ).status,
        ).toBe(404);
    });

    it('a workspace previews only the business plan, as it changes only to it', async () => {
      const owner = await registerVerifiedUser(api);
      const workspace = await workspaces.create(owner);
      await subscribe(owner, { plan: 'business', interval: 'month', workspaceId: workspace.id });
      const preview = await api.fetch(
        `/api/v1/billing/change/preview?plan=pro&interval=month&workspaceId=${workspace.id}`,
        { headers: { authorization: `Bearer ${owner.accessToken}` } },
      );
      expect(preview.status).toBe(400);
    });
  });

  describe('webhooks', () => {
    it("an event naming a workspace about another customer's subscription does not move the workspace's billing", async () => {
      const owner = await registerVerifiedUser(api);
      const workspace = await workspaces.create(owner);
      const workspaceSubscription = await subscribe(owner, {
        plan: 'business',
        interval: 'month',
        workspaceId: workspace.id,
      });
      const before = await subscriptionRow('workspace_id', workspace.id);
      expect(before.stripe_subscription_id).toBe(workspaceSubscription.id);

      // Someone else's subscription, at another customer, whose metadata names the workspace.
      const other = subscriptionFactory({
        customer: stripeId('cus'),
        price: PRICES.businessYearly,
        created: Math.floor(Date.now() / 1000) + 60,
      });
      Object.assign(other, { metadata: { workspaceId: workspace.id } });
      stripe.putSubscription(other);
      expect((await deliver(eventFactory('customer.subscription.updated', other))).status).toBe(
        200,
      );

      expect(await subscriptionRow('workspace_id', workspace.id)).toEqual(before);
    });

    it('a checkout completed after its workspace was deleted does not leave a paid subscription behind', async () => {
      const owner = await registerVerifiedUser(api);
      const workspace = await workspaces.create(owner);
      const admin = await workspaces.member(workspace.id, owner, 'admin');
      // The admin opens a checkout; the owner deletes the workspace before it is paid.
      const response = await post('/api/v1/billing/checkout', admin, {
        plan: 'business',
        interval: 'month',
        workspaceId: workspace.id,
      });
      expect(response.status).toBe(201);
      const { sessionId } = (await response.json()) as { sessionId: string };
      expect((await call('DELETE', `/api/v1/workspaces/${workspace.id}`, owner)).status).toBe(204);

      const { subscription, event } = stripe.completeCheckout(sessionId);
      const answer = await deliver(event);
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ received: true, outcome: 'recorded' });
      // Nobody could see or cancel it any more: it must not go on charging.
      expect(stripe.subscriptions.get(subscription.id)!.status).toBe('canceled');
      // A redelivery changes nothing more.
      expect(await (await deliver(event)).json()).toEqual({ received: true, outcome: 'duplicate' });
    });
  });
});
