import {
  BadRequestException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import type Stripe from 'stripe';
import { isUuid } from '../../common/text/identifiers.js';
import { AppConfig } from '../../config/app-config.js';
import type { BillingAccount } from '../subscriptions/billing-account.js';
import { isLiveStatus } from '../subscriptions/subscription-status.js';
import { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import { WorkspacesService } from '../workspaces/workspaces.service.js';
import { SeatBillingService } from './seat-billing.service.js';
import { InvoicesService } from './invoices.service.js';
import { StripeEventsRepository } from './stripe-events.repository.js';
import { callStripe, STRIPE } from './stripe.client.js';
import { SubscriptionSyncService } from './subscription-sync.service.js';

export type WebhookOutcome = 'applied' | 'duplicate' | 'recorded';

const SUBSCRIPTION_EVENTS = new Set([
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
  'customer.subscription.trial_will_end',
]);

/**
 * Stripe webhooks. The signature is checked against the raw body (Stripe's default
 * tolerance of five minutes); a bad, missing, re-serialised or stale signature is a 400 and
 * writes nothing. Every verified event is recorded in the inbox in the same transaction as
 * its effect, so a redelivery changes nothing; an event of a type we do not handle is
 * recorded and answered 200 (a 4xx would make Stripe disable the endpoint). Events are
 * signals: the subscription is fetched again from Stripe (see SubscriptionSyncService). A
 * failure while applying is a 5xx with no inbox row, so Stripe retries.
 */
@Injectable()
export class WebhookService {
  private readonly logger = new Logger(WebhookService.name);

  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe | null,
    private readonly inbox: StripeEventsRepository,
    private readonly sync: SubscriptionSyncService,
    private readonly accounts: SubscriptionsService,
    private readonly config: AppConfig,
    private readonly seats: SeatBillingService,
    private readonly invoices: InvoicesService,
    private readonly workspaces: WorkspacesService,
  ) {}

  async handle(
    rawBody: Buffer | undefined,
    signature: string | undefined,
  ): Promise<WebhookOutcome> {
    const secret = this.config.stripe.webhookSecret;
    if (!this.stripe || !secret) throw new ServiceUnavailableException('Billing is not configured');
    if (!rawBody || !signature) throw new BadRequestException('Missing Stripe signature');
    let event: Stripe.Event;
    try {
      event = await this.stripe.webhooks.constructEventAsync(rawBody, signature, secret);
    } catch {
      throw new BadRequestException('Invalid Stripe signature');
    }
    if (await this.inbox.seen(event.id)) return 'duplicate';
    // Whatever the event, the customer's invoices may have changed (a cached list is dropped).
    const customer = customerOf(event);
    if (customer) await this.invoices.forget(customer);

    const target = await targetOf(event, this.accounts);
    const entry = {
      id: event.id,
      type: event.type,
      createdAt: new Date(event.created * 1000),
      userId: target?.account.userId ?? null,
    };
    if (!target) {
      await this.cancelOrphan(event);
      return (await this.inbox.record(entry)) ? 'recorded' : 'duplicate';
    }
    const { account } = target;
    let result;
    try {
      result = await this.sync.sync(
        account.id,
        target.subscriptionId,
        { kind: 'stripe', via: 'webhook', eventId: event.id, eventType: event.type },
        (manager) => this.inbox.record(entry, manager),
      );
    } catch (error) {
      // The user was erased, or the workspace deleted, while the event was on its way:
      // nothing is left to apply.
      if (!(error instanceof NotFoundException)) throw error;
      await this.cancelOrphan(event);
      return (await this.inbox.record({ ...entry, userId: null })) ? 'recorded' : 'duplicate';
    }
    this.logger.log({
      msg: 'Stripe event applied',
      event: event.id,
      type: event.type,
      userId: account.userId,
      workspaceId: account.workspaceId,
      plan: result.plan,
      status: result.status,
      applied: result.applied,
    });
    if (result.applied && account.workspaceId)
      await this.seats.reconcileAfterSync(account.workspaceId, result);
    return result.applied ? 'applied' : 'duplicate';
  }

  /**
   * A live subscription of a workspace that no longer exists (a checkout paid after the
   * workspace was deleted, or a second one the deletion did not know of) is cancelled at
   * Stripe, as the deletion would have: nobody can see or cancel it any more. A failure is a
   * 5xx, so Stripe delivers the event again.
   */
  private async cancelOrphan(event: Stripe.Event): Promise<void> {
    const named = workspaceSubscriptionOf(event);
    if (!named || !this.stripe || (await this.workspaces.findSummary(named.workspaceId))) return;
    const stripe = this.stripe;
    let subscription: Stripe.Subscription;
    try {
      subscription = await callStripe(() => stripe.subscriptions.retrieve(named.subscriptionId));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return;
      throw error;
    }
    if (subscription.metadata?.workspaceId !== named.workspaceId) return;
    if (!isLiveStatus(subscription.status)) return;
    await callStripe(() => stripe.subscriptions.cancel(subscription.id));
    this.logger.warn({
      msg: 'Subscription of a deleted workspace cancelled',
      workspaceId: named.workspaceId,
      subscription: subscription.id,
    });
  }
}

/** The workspace and Stripe subscription an event's metadata names, if any. */
function workspaceSubscriptionOf(
  event: Stripe.Event,
): { workspaceId: string; subscriptionId: string } | undefined {
  const object = event.data.object as unknown as Record<string, unknown>;
  let metadata: Record<string, string> | null | undefined;
  let reference: string | { id: string } | null | undefined;
  if (event.type === 'checkout.session.completed') {
    const session = object as unknown as Stripe.Checkout.Session;
    metadata = session.metadata;
    reference = session.subscription;
  } else if (SUBSCRIPTION_EVENTS.has(event.type)) {
    const subscription = object as unknown as Stripe.Subscription;
    metadata = subscription.metadata;
    reference = subscription.id;
  } else if (event.type === 'invoice.paid' || event.type === 'invoice.payment_failed') {
    const details = (object as unknown as Stripe.Invoice).parent?.subscription_details;
    metadata = details?.metadata;
    reference = details?.subscription;
  }
  const workspaceId = metadata?.workspaceId;
  const subscriptionId = typeof reference === 'string' ? reference : reference?.id;
  return isUuid(workspaceId) && subscriptionId ? { workspaceId, subscriptionId } : undefined;
}

/** The Stripe customer an event is about, if it names one. */
export function customerOf(event: Stripe.Event): string | undefined {
  const object = event.data.object as unknown as {
    object?: string;
    id?: string;
    customer?: unknown;
  };
  if (object.object === 'customer') return object.id;
  const customer = object.customer;
  if (typeof customer === 'string') return customer;
  if (customer && typeof customer === 'object' && 'id' in customer) return String(customer.id);
  return undefined;
}

export interface WebhookTarget {
  account: BillingAccount;
  /** The Stripe subscription the event names: a hint, as the sync reads all of them. */
  subscriptionId: string | null;
}

/** The lookup that ties a Stripe object to an account (SubscriptionsService's). */
export type StripeAccountLookup = Pick<SubscriptionsService, 'accountForStripe'>;

/** The account and subscription an event is about, or undefined for events we only record. */
export async function targetOf(
  event: Stripe.Event,
  accounts: StripeAccountLookup,
): Promise<WebhookTarget | undefined> {
  const object = event.data.object as unknown as Record<string, unknown>;
  const target = async (
    owner: Parameters<StripeAccountLookup['accountForStripe']>[0],
    subscriptionId: string | null,
  ) => {
    const account = await accounts.accountForStripe(owner);
    return account ? { account, subscriptionId } : undefined;
  };
  if (event.type === 'checkout.session.completed') {
    const session = object as unknown as Stripe.Checkout.Session;
    if (session.mode !== 'subscription') return undefined;
    const subscriptionId =
      typeof session.subscription === 'string'
        ? session.subscription
        : (session.subscription?.id ?? null);
    const metadata = { ...session.metadata };
    if (!metadata.workspaceId && session.client_reference_id)
      metadata.userId = session.client_reference_id;
    return target({ metadata, customer: session.customer as string | null }, subscriptionId);
  }
  if (SUBSCRIPTION_EVENTS.has(event.type)) {
    const subscription = object as unknown as Stripe.Subscription;
    return target(subscription, subscription.id);
  }
  if (event.type === 'invoice.paid' || event.type === 'invoice.payment_failed') {
    const invoice = object as unknown as Stripe.Invoice;
    const reference = invoice.parent?.subscription_details?.subscription;
    const subscriptionId = typeof reference === 'string' ? reference : (reference?.id ?? null);
    if (!subscriptionId) return undefined;
    return target(
      {
        metadata: invoice.parent?.subscription_details?.metadata ?? null,
        customer: invoice.customer as string | null,
      },
      subscriptionId,
    );
  }
  return undefined;
}
