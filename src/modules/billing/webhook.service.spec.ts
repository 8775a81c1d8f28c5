import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type Stripe from 'stripe';
import { isUuid } from '../../common/text/identifiers.js';
import {
  resolveStripeOwner,
  type BillingAccount,
  type StripeOwner,
} from '../subscriptions/billing-account.js';
import {
  customerOf,
  targetOf,
  WebhookService,
  type StripeAccountLookup,
} from './webhook.service.js';

/** The subscriptions module's lookup over in-memory accounts of users and workspaces. */
class FakeLookup implements StripeAccountLookup {
  readonly accounts: BillingAccount[] = [];

  private add(owner: { userId?: string; workspaceId?: string }, customer?: string) {
    const account: BillingAccount = {
      id: randomUUID(),
      userId: owner.userId ?? null,
      workspaceId: owner.workspaceId ?? null,
      plan: 'free',
      status: 'active',
      stripeCustomerId: customer ?? null,
      stripeSubscriptionId: null,
      seats: null,
      trialUsedAt: null,
    };
    this.accounts.push(account);
    return account;
  }

  user(customer?: string): string {
    return this.add({ userId: randomUUID() }, customer).userId!;
  }

  workspace(customer?: string): string {
    return this.add({ workspaceId: randomUUID() }, customer).workspaceId!;
  }

  /** What targetOf answers for an account. */
  target(owner: string, subscriptionId: string) {
    const account = this.accounts.find((a) => a.userId === owner || a.workspaceId === owner);
    return { account, subscriptionId };
  }

  accountForStripe(owner: StripeOwner): Promise<BillingAccount | undefined> {
    const find = (match: (account: BillingAccount) => boolean) =>
      Promise.resolve(this.accounts.find(match) ?? null);
    return resolveStripeOwner(
      owner,
      {
        byWorkspace: (id) => find((account) => account.workspaceId === id),
        byUser: (id) => find((account) => account.userId === id),
        byCustomer: (id) => find((account) => account.stripeCustomerId === id),
      },
      isUuid,
    );
  }
}

/** A Stripe event as delivered: only what target choice reads. */
function event(type: string, object: Record<string, unknown>): Stripe.Event {
  return { id: 'evt_1', object: 'event', type, data: { object } } as unknown as Stripe.Event;
}

const checkout = (fields: Record<string, unknown>) =>
  event('checkout.session.completed', {
    object: 'checkout.session',
    mode: 'subscription',
    subscription: 'sub_new',
    metadata: {},
    ...fields,
  });

const invoice = (type: string, fields: Record<string, unknown>, details: unknown) =>
  event(type, { object: 'invoice', ...fields, parent: { subscription_details: details } });

describe(`${WebhookService.name} target choice`, () => {
  describe('checkout.session.completed', () => {
    it('targets the user in client_reference_id when they exist', async () => {
      const lookup = new FakeLookup();
      const user = lookup.user();
      // The customer belongs to someone else: the reference wins.
      lookup.user('cus_other');
      expect(
        await targetOf(checkout({ client_reference_id: user, customer: 'cus_other' }), lookup),
      ).toEqual(lookup.target(user, 'sub_new'));
    });

    it('falls back to the metadata user when there is no client_reference_id', async () => {
      const lookup = new FakeLookup();
      const user = lookup.user();
      expect(await targetOf(checkout({ metadata: { userId: user } }), lookup)).toEqual(
        lookup.target(user, 'sub_new'),
      );
    });

    it.each([
      ['an unknown user', () => randomUUID()],
      ['something that is not a user id', () => 'not-a-uuid'],
    ])('looks the customer up when client_reference_id is %s', async (_case, reference) => {
      const lookup = new FakeLookup();
      const owner = lookup.user('cus_1');
      expect(
        await targetOf(
          checkout({
            client_reference_id: reference(),
            customer: 'cus_1',
            subscription: { id: 'sub_expanded' },
          }),
          lookup,
        ),
      ).toEqual(lookup.target(owner, 'sub_expanded'));
    });

    it('targets nobody for an unknown user and customer, or a one-off payment', async () => {
      const lookup = new FakeLookup();
      const user = lookup.user('cus_1');
      expect(
        await targetOf(checkout({ client_reference_id: randomUUID(), customer: 'cus_x' }), lookup),
      ).toBeUndefined();
      expect(
        await targetOf(checkout({ client_reference_id: user, mode: 'payment' }), lookup),
      ).toBeUndefined();
    });
  });

  describe('subscription events', () => {
    it.each([
      'customer.subscription.created',
      'customer.subscription.updated',
      'customer.subscription.deleted',
      'customer.subscription.paused',
      'customer.subscription.resumed',
      'customer.subscription.trial_will_end',
    ])('%s targets the metadata user first', async (type) => {
      const lookup = new FakeLookup();
      const named = lookup.user();
      lookup.user('cus_1');
      expect(
        await targetOf(
          event(type, { id: 'sub_1', metadata: { userId: named }, customer: 'cus_1' }),
          lookup,
        ),
      ).toEqual(lookup.target(named, 'sub_1'));
    });

    it("targets the customer's user when the metadata user is gone or absent", async () => {
      const lookup = new FakeLookup();
      const owner = lookup.user('cus_1');
      const type = 'customer.subscription.updated';
      expect(
        await targetOf(
          event(type, { id: 'sub_1', metadata: { userId: randomUUID() }, customer: 'cus_1' }),
          lookup,
        ),
      ).toEqual(lookup.target(owner, 'sub_1'));
      expect(
        await targetOf(
          event(type, { id: 'sub_2', metadata: {}, customer: { id: 'cus_1' } }),
          lookup,
        ),
      ).toEqual(lookup.target(owner, 'sub_2'));
      expect(
        await targetOf(event(type, { id: 'sub_3', metadata: {}, customer: 'cus_x' }), lookup),
      ).toBeUndefined();
    });
  });

  describe('invoice events', () => {
    it.each(['invoice.paid', 'invoice.payment_failed'])(
      '%s targets the subscription under parent.subscription_details',
      async (type) => {
        const lookup = new FakeLookup();
        const owner = lookup.user('cus_1');
        const named = lookup.user();
        expect(
          await targetOf(
            invoice(type, { customer: 'cus_1' }, { subscription: 'sub_1', metadata: null }),
            lookup,
          ),
        ).toEqual(lookup.target(owner, 'sub_1'));
        expect(
          await targetOf(
            invoice(
              type,
              { customer: 'cus_1' },
              { subscription: { id: 'sub_2' }, metadata: { userId: named } },
            ),
            lookup,
          ),
        ).toEqual(lookup.target(named, 'sub_2'));
      },
    );

    it('targets nobody for an invoice without a subscription', async () => {
      const lookup = new FakeLookup();
      lookup.user('cus_1');
      expect(
        await targetOf(invoice('invoice.paid', { customer: 'cus_1' }, null), lookup),
      ).toBeUndefined();
    });
  });

  it.each([
    'customer.created',
    'invoice.created',
    'charge.refunded',
    'radar.early_fraud_warning.created',
  ])('targets nobody for %s (recorded only)', async (type) => {
    const lookup = new FakeLookup();
    const user = lookup.user('cus_1');
    expect(
      await targetOf(
        event(type, { id: 'x_1', customer: 'cus_1', metadata: { userId: user } }),
        lookup,
      ),
    ).toBeUndefined();
  });

  describe('workspace subscriptions', () => {
    it('targets the workspace in the metadata, before any user', async () => {
      const lookup = new FakeLookup();
      const workspace = lookup.workspace('cus_w');
      const user = lookup.user('cus_u');
      expect(
        await targetOf(
          event('customer.subscription.updated', {
            id: 'sub_w',
            metadata: { workspaceId: workspace, userId: user },
            customer: 'cus_w',
          }),
          lookup,
        ),
      ).toEqual(lookup.target(workspace, 'sub_w'));
      expect(
        await targetOf(
          checkout({ metadata: { workspaceId: workspace }, customer: 'cus_w' }),
          lookup,
        ),
      ).toEqual(lookup.target(workspace, 'sub_new'));
    });

    it("targets nobody for a deleted workspace's event, even when its customer is someone's", async () => {
      const lookup = new FakeLookup();
      lookup.user('cus_shared');
      expect(
        await targetOf(
          event('customer.subscription.deleted', {
            id: 'sub_w',
            metadata: { workspaceId: randomUUID() },
            customer: 'cus_shared',
          }),
          lookup,
        ),
      ).toBeUndefined();
    });
  });
});

describe(customerOf.name, () => {
  it.each([
    [event('customer.updated', { object: 'customer', id: 'cus_1' }), 'cus_1'],
    [event('invoice.paid', { object: 'invoice', customer: 'cus_2' }), 'cus_2'],
    [
      event('customer.subscription.updated', { object: 'subscription', customer: { id: 'cus_3' } }),
      'cus_3',
    ],
    [
      event('radar.early_fraud_warning.created', { object: 'radar.early_fraud_warning' }),
      undefined,
    ],
  ])('finds the customer an event is about (%#)', (delivered, customer) => {
    expect(customerOf(delivered)).toBe(customer);
  });
});
