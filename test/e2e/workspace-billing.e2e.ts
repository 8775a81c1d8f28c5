import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { LATE_REPEAT_MS } from '../../src/common/cache/now-and-later.js';
import { BillingReconciliationService } from '../../src/modules/billing/billing-reconciliation.service.js';
import { SubscriptionsRepository } from '../../src/modules/subscriptions/subscriptions.repository.js';
import { WorkspaceMemberships } from '../../src/modules/subscriptions/workspace-memberships.js';
import { deliverWebhook, eventFactory, STRIPE_TEST_ENV } from '../factories/stripe.factory.js';
import {
  bearer,
  createAdmin,
  registerVerifiedUser,
  type RegisteredUser,
} from '../factories/users.factory.js';
import { WorkspaceFactory } from '../factories/workspaces.factory.js';
import { eventually } from '../support/eventually.js';
import { TestSmtpServer } from '../support/smtp.js';
import { StripeStandIn } from '../support/stripe-stand-in.js';
import { json, startTestApp, type TestApp } from '../support/test-app.js';

interface PlanView {
  plan: string;
  workspaceId: string | null;
}
interface TimelineEntry {
  cause: string;
  stripeEventType: string | null;
  from: { plan: string; status: string };
  to: { plan: string; status: string };
  summary: string;
}

describe('workspace billing (per seat)', () => {
  const stripe = new StripeStandIn(STRIPE_TEST_ENV.STRIPE_SECRET_KEY);
  const smtp = new TestSmtpServer();
  let api: TestApp;
  let workspaces: WorkspaceFactory;

  beforeAll(async () => {
    await Promise.all([stripe.start(), smtp.start()]);
    api = await startTestApp({
      env: {
        ...STRIPE_TEST_ENV,
        ...smtp.env,
        STRIPE_API_BASE: stripe.url,
      },
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

  const post = (path: string, user: RegisteredUser, body: unknown = {}) =>
    api.fetch(path, json(body, { authorization: `Bearer ${user.accessToken}` }));
  const get = (path: string, user: RegisteredUser) => api.fetch(path, bearer(user.accessToken));
  const deliver = (event: object) => deliverWebhook(api, event);
  const workspaceRow = async (workspaceId: string) =>
    (
      await api.query<{ plan: string; status: string; seats: number | null }>(
        `SELECT plan, status, seats FROM subscriptions WHERE workspace_id = $1`,
        [workspaceId],
      )
    )[0];
  const plan = async (user: RegisteredUser): Promise<PlanView> => {
    const response = await get('/api/v1/users/me', user);
    expect(response.status).toBe(200);
    return ((await response.json()) as { subscription: PlanView }).subscription;
  };
  const stripeQuantity = (subscriptionId: string) =>
    stripe.subscriptions.get(subscriptionId)!.items.data[0].quantity;
  const seatUpdates = (subscriptionId: string) =>
    stripe
      .requestsTo('POST', `/v1/subscriptions/${subscriptionId}`)
      .filter((request) => JSON.stringify(request.body).includes('quantity'));

  /** A workspace with `members` members besides its owner, subscribed to Business. */
  async function subscribedWorkspace(members = 1) {
    const owner = await registerVerifiedUser(api);
    const workspace = await workspaces.create(owner);
    const team: RegisteredUser[] = [];
    for (let i = 0; i < members; i++) team.push(await workspaces.member(workspace.id, owner));
    const response = await post('/api/v1/billing/checkout', owner, {
      plan: 'business',
      interval: 'month',
      workspaceId: workspace.id,
    });
    expect(response.status).toBe(201);
    const { sessionId } = (await response.json()) as { sessionId: string };
    const { subscription, event } = stripe.completeCheckout(sessionId);
    expect((await deliver(event)).status).toBe(200);
    return { owner, workspace, team, subscription };
  }

  it('bills the member count at checkout, on a customer of the workspace', async () => {
    const { owner, workspace, team, subscription } = await subscribedWorkspace(2);
    const session = stripe.requestsTo('POST', '/v1/checkout/sessions').at(-1)!.body;
    expect(session).toMatchObject({
      metadata: { workspaceId: workspace.id },
      line_items: { 0: { quantity: '3' } },
      subscription_data: { metadata: { workspaceId: workspace.id } },
    });
    expect(session.client_reference_id).toBeUndefined();
    const customer = stripe.customers.get(String(session.customer))!;
    expect(customer.metadata).toEqual({ workspaceId: workspace.id });
    expect(subscription.metadata).toEqual({ workspaceId: workspace.id });
    expect(await workspaceRow(workspace.id)).toEqual({
      plan: 'business',
      status: 'active',
      seats: 3,
    });
    // The owner's own subscription is untouched: their plan comes from the workspace.
    for (const user of [owner, ...team])
      expect(await plan(user)).toMatchObject({ plan: 'business', workspaceId: workspace.id });
    const me = await get('/api/v1/subscriptions/me', team[0]);
    expect(await me.json()).toMatchObject({ plan: 'business', workspaceId: workspace.id });
    // The portal opens on the workspace's customer, not the owner's.
    const portal = await post('/api/v1/billing/portal', owner, { workspaceId: workspace.id });
    expect(portal.status).toBe(201);
    expect(stripe.requestsTo('POST', '/v1/billing_portal/sessions').at(-1)!.body).toMatchObject({
      customer: session.customer,
    });
  });

  it("keeps a member's effective plan cached: no membership reads per request", async () => {
    const { team } = await subscribedWorkspace(1);
    const [user] = team;
    // The webhook's changes drop the members' cached plans once more a moment later (see
    // nowAndLater): the requests below start after that, on a cache that stays.
    await new Promise((resolve) => setTimeout(resolve, LATE_REPEAT_MS + 200));
    expect((await plan(user)).plan).toBe('business');
    const memberships = jest.spyOn(api.app.get(WorkspaceMemberships), 'workspaceIdsOf');
    const rows = jest.spyOn(api.app.get(SubscriptionsRepository), 'findByWorkspaceIds');
    try {
      for (let i = 0; i < 10; i++) {
        expect((await plan(user)).plan).toBe('business');
        expect((await get('/api/v1/subscriptions/me', user)).status).toBe(200);
        expect((await post('/api/v1/usage/analyses', user)).status).toBe(200);
      }
      expect(memberships).not.toHaveBeenCalled();
      expect(rows).not.toHaveBeenCalled();
    } finally {
      memberships.mockRestore();
      rows.mockRestore();
    }
  });

  it('lets only owners and admins manage billing; others get 403, non-members 404', async () => {
    const owner = await registerVerifiedUser(api);
    const workspace = await workspaces.create(owner);
    const plain = await workspaces.member(workspace.id, owner, 'member');
    const admin = await workspaces.member(workspace.id, owner, 'admin');
    const stranger = await registerVerifiedUser(api);
    const body = { plan: 'business', interval: 'month', workspaceId: workspace.id };
    expect((await post('/api/v1/billing/checkout', plain, body)).status).toBe(403);
    expect((await post('/api/v1/billing/checkout', stranger, body)).status).toBe(404);
    expect((await get(`/api/v1/billing/invoices?workspaceId=${workspace.id}`, plain)).status).toBe(
      403,
    );
    expect(
      (await get(`/api/v1/billing/timeline?workspaceId=${workspace.id}`, stranger)).status,
    ).toBe(404);
    expect((await post('/api/v1/billing/checkout', admin, { ...body, plan: 'pro' })).status).toBe(
      400,
    );
    expect((await post('/api/v1/billing/checkout', admin, body)).status).toBe(201);
    expect(
      (await post('/api/v1/billing/portal', plain, { workspaceId: workspace.id })).status,
    ).toBe(403);
  });

  it('bills two seats for two concurrent additions, with proration, once per change', async () => {
    const { owner, workspace, subscription } = await subscribedWorkspace(1);
    const invitees = [await registerVerifiedUser(api), await registerVerifiedUser(api)];
    const tokens: string[] = [];
    for (const user of invitees)
      tokens.push(await workspaces.invite(workspace.id, owner, user.email));
    const answers = await Promise.all(
      invitees.map((user, index) => workspaces.accept(user, tokens[index])),
    );
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    await eventually('4 seats at Stripe and in the row', async () =>
      stripeQuantity(subscription.id) === 4 && (await workspaceRow(workspace.id)).seats === 4
        ? true
        : undefined,
    );
    const updates = seatUpdates(subscription.id);
    // Added seats are invoiced at once.
    for (const update of updates)
      expect(update.body).toMatchObject({ proration_behavior: 'always_invoice' });
    const keys = updates.map((update) => update.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
    for (const user of invitees)
      expect(await plan(user)).toMatchObject({ plan: 'business', workspaceId: workspace.id });
  });

  it("ends a removed member's plan at once and bills one seat fewer", async () => {
    const { owner, workspace, team, subscription } = await subscribedWorkspace(2);
    const [leaving] = team;
    expect((await plan(leaving)).plan).toBe('business');
    const removed = await workspaces.call(
      'DELETE',
      `/api/v1/workspaces/${workspace.id}/members/${leaving.id}`,
      owner,
    );
    expect(removed.status).toBe(204);
    expect(await plan(leaving)).toEqual(
      expect.objectContaining({ plan: 'free', workspaceId: null }),
    );
    const usage = await get('/api/v1/subscriptions/me', leaving);
    expect(await usage.json()).toMatchObject({ plan: 'free' });
    await eventually('2 seats at Stripe', () =>
      stripeQuantity(subscription.id) === 2 ? true : undefined,
    );
    // A removed seat is a credit on the next invoice.
    expect(seatUpdates(subscription.id).at(-1)!.body).toMatchObject({
      proration_behavior: 'create_prorations',
    });
  });

  it('reconciles a webhook that brings another quantity to the member count', async () => {
    const { workspace, subscription } = await subscribedWorkspace(1);
    const stored = stripe.subscriptions.get(subscription.id)!;
    stored.items.data[0].quantity = 7;
    expect((await deliver(eventFactory('customer.subscription.updated', stored))).status).toBe(200);
    await eventually('Stripe back at 2 seats', () =>
      stripeQuantity(subscription.id) === 2 ? true : undefined,
    );
    await eventually('the row back at 2 seats', async () =>
      (await workspaceRow(workspace.id)).seats === 2 ? true : undefined,
    );
  });

  it('billing:reconcile repairs seat drift that no webhook reported', async () => {
    const { workspace, subscription } = await subscribedWorkspace(2);
    stripe.subscriptions.get(subscription.id)!.items.data[0].quantity = 9;
    const changes = await api.app.get(BillingReconciliationService).reconcile();
    expect(changes.find((change) => change.account.includes(workspace.id))).toBeUndefined();
    await eventually('Stripe back at 3 seats', () =>
      stripeQuantity(subscription.id) === 3 ? true : undefined,
    );
  });

  it("cancels a deleted workspace's subscription; its later webhooks answer 200 and change nothing", async () => {
    const { owner, workspace, team, subscription } = await subscribedWorkspace(1);
    const deleted = await workspaces.call('DELETE', `/api/v1/workspaces/${workspace.id}`, owner);
    expect(deleted.status).toBe(204);
    const stored = stripe.subscriptions.get(subscription.id)!;
    expect(stored.status).toBe('canceled');
    expect(await workspaceRow(workspace.id)).toBeUndefined();
    expect(await plan(team[0])).toMatchObject({ plan: 'free', workspaceId: null });
    const late = eventFactory('customer.subscription.deleted', stored);
    const answer = await deliver(late);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ received: true, outcome: 'recorded' });
    expect(
      await api.query(`SELECT 1 FROM subscriptions WHERE stripe_subscription_id = $1`, [
        subscription.id,
      ]),
    ).toEqual([]);
  });

  it('shows the workspace its timeline: checkout, seats and the event that carried each', async () => {
    const { owner, workspace, subscription } = await subscribedWorkspace(1);
    await workspaces.member(workspace.id, owner);
    await eventually('3 seats', () => (stripeQuantity(subscription.id) === 3 ? true : undefined));
    await eventually('the seat change in the timeline', async () => {
      const response = await get(`/api/v1/billing/timeline?workspaceId=${workspace.id}`, owner);
      const entries = (await response.json()) as TimelineEntry[];
      return entries.some((entry) => entry.summary.includes('Seats: 2 to 3')) ? entries : undefined;
    });
    const entries = (await (
      await get(`/api/v1/billing/timeline?workspaceId=${workspace.id}`, owner)
    ).json()) as TimelineEntry[];
    expect(entries.at(-1)).toMatchObject({
      cause: 'stripe',
      stripeEventType: 'checkout.session.completed',
      from: { plan: 'free' },
      to: { plan: 'business', status: 'active' },
    });
    expect(entries.at(-1)!.summary).toContain('Plan changed from Free to Business');
    // The owner's own timeline is a different account's: empty.
    expect(await (await get('/api/v1/billing/timeline', owner)).json()).toEqual([]);
  });

  it("shows an administrator's grant in the user's timeline", async () => {
    const user = await registerVerifiedUser(api);
    const admin = await createAdmin(api);
    const granted = await api.fetch(`/api/v1/admin/users/${user.id}/subscription`, {
      ...json({ plan: 'pro' }, { authorization: `Bearer ${admin.accessToken}` }),
      method: 'PUT',
    });
    expect(granted.status).toBe(200);
    const entries = (await (await get('/api/v1/billing/timeline', user)).json()) as TimelineEntry[];
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      cause: 'admin_grant',
      summary: 'Pro granted by an administrator',
    });
    expect(JSON.stringify(entries)).not.toContain(admin.id);
  });
});
