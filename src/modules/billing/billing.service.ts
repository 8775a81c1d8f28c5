import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  Logger,
  ServiceUnavailableException,
} from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type Stripe from 'stripe';
import {
  DomainEvents,
  type DomainEvent,
  type RequestMeta,
} from '../../common/events/domain-events.js';
import { AppConfig } from '../../config/app-config.js';
import type { BillingAccount } from '../subscriptions/billing-account.js';
import { stripePriceId } from '../subscriptions/plan-catalogue.js';
import { isLiveStatus } from '../subscriptions/subscription-status.js';
import { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import { UsersService } from '../users/users.service.js';
import { CheckoutOptionsService } from './checkout-options.service.js';
import type { CheckoutDto, CheckoutSessionDto, PortalSessionDto } from './dto/billing.dto.js';
import type { InvoiceDto, InvoicesQueryDto } from './dto/invoice.dto.js';
import type {
  BillingSubscriptionDto,
  ChangePlanDto,
  PlanChangePreviewDto,
  PlanChangeQueryDto,
} from './dto/plan-change.dto.js';
import { InvoicesService } from './invoices.service.js';
import { PlanChangeService } from './plan-change.service.js';
import { callStripe, STRIPE } from './stripe.client.js';
import { WorkspacesService } from '../workspaces/workspaces.service.js';
import { BillingAccountsService } from './billing-accounts.service.js';
import { SeatBillingService } from './seat-billing.service.js';
import { SubscriptionSyncService } from './subscription-sync.service.js';

@Injectable()
export class BillingService {
  private readonly logger = new Logger(BillingService.name);

  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe | null,
    private readonly subscriptions: SubscriptionsService,
    private readonly sync: SubscriptionSyncService,
    private readonly users: UsersService,
    private readonly config: AppConfig,
    private readonly seats: SeatBillingService,
    private readonly accounts: BillingAccountsService,
    private readonly workspaces: WorkspacesService,
    private readonly options: CheckoutOptionsService,
    private readonly planChanges: PlanChangeService,
    private readonly invoiceList: InvoicesService,
  ) {}

  /**
   * A Stripe Checkout session for a paid plan, on the account's Stripe customer (created
   * once), with what configuration and the account allow: a trial, a promotion code (checked
   * first: an invalid one creates nothing at Stripe), automatic tax. A workspace subscribes
   * to Business only, billed per seat: the quantity is its member count (kept in step by
   * SeatBillingService from then on).
   */
  async checkout(userId: string, request: CheckoutDto): Promise<CheckoutSessionDto> {
    const stripe = this.client();
    await this.users.assertEmailVerified(userId);
    const { plan, interval } = request;
    const price = stripePriceId(this.config, plan, interval);
    if (!price) throw new BadRequestException(`The ${plan} plan is not available per ${interval}`);
    if (request.workspaceId && plan !== 'business')
      throw new BadRequestException('A workspace subscribes to the business plan (per seat)');
    const account = await this.accounts.forCaller(userId, request.workspaceId);
    if (account.stripeSubscriptionId && isLiveStatus(account.status)) {
      throw new ConflictException(
        'You already have a subscription: change it in the billing portal',
      );
    }
    const discounts = request.promotionCode
      ? await this.options.promotion(request.promotionCode, price, account.stripeCustomerId)
      : undefined;
    const customer = await this.customerFor(account);
    const trial = await this.options.trial(account, customer, userId);
    const metadata: Record<string, string> = account.workspaceId
      ? { workspaceId: account.workspaceId }
      : { userId: account.userId! };
    const quantity = account.workspaceId
      ? await this.workspaces.memberCount(account.workspaceId)
      : 1;
    let session: Stripe.Checkout.Session;
    try {
      session = await callStripe(() =>
        stripe.checkout.sessions.create({
          mode: 'subscription',
          customer,
          ...(account.userId && { client_reference_id: account.userId }),
          metadata,
          line_items: [{ price, quantity }],
          success_url: `${this.config.frontendUrl}/billing/success?session_id={CHECKOUT_SESSION_ID}`,
          cancel_url: `${this.config.frontendUrl}/billing/cancel`,
          ...this.options.sessionParams({ discounts, trial, metadata }),
        }),
      );
    } catch (error) {
      await trial?.release();
      throw error;
    }
    if (!session.url) throw new ServiceUnavailableException('Stripe returned no checkout page');
    return { url: session.url, sessionId: session.id };
  }

  /** An in-app change of plan or interval (see PlanChangeService). */
  async changePlan(
    userId: string,
    request: ChangePlanDto,
    meta: RequestMeta,
  ): Promise<BillingSubscriptionDto> {
    this.client();
    await this.users.assertEmailVerified(userId);
    if (request.workspaceId && request.plan !== 'business')
      throw new BadRequestException('A workspace subscribes to the business plan (per seat)');
    const account = await this.accounts.forCaller(userId, request.workspaceId);
    return this.planChanges.change(account, request, request.prorationDate, meta);
  }

  async previewPlanChange(
    userId: string,
    query: PlanChangeQueryDto,
  ): Promise<PlanChangePreviewDto> {
    this.client();
    if (query.workspaceId && query.plan !== 'business')
      throw new BadRequestException('A workspace subscribes to the business plan (per seat)');
    const account = await this.accounts.forCaller(userId, query.workspaceId);
    return this.planChanges.preview(account, query);
  }

  async invoices(userId: string, query: InvoicesQueryDto): Promise<InvoiceDto[]> {
    this.client();
    const account = await this.accounts.forCaller(userId, query.workspaceId);
    return this.invoiceList.list(account, query.limit);
  }

  async portal(userId: string, workspaceId?: string): Promise<PortalSessionDto> {
    const stripe = this.client();
    const customer = (await this.accounts.forCaller(userId, workspaceId)).stripeCustomerId;
    if (!customer) throw new BadRequestException('No billing account yet: subscribe first');
    const session = await callStripe(() =>
      stripe.billingPortal.sessions.create({
        customer,
        return_url: `${this.config.frontendUrl}/billing`,
      }),
    );
    return { url: session.url };
  }

  /**
   * Erasure: cancels a live subscription at Stripe and deletes the customer (where
   * configured) before the user's rows go. A Stripe failure stops the erasure.
   */
  @OnEvent(DomainEvents.Erasing, { async: true, promisify: true, suppressErrors: false })
  async onErasing(event: DomainEvent<typeof DomainEvents.Erasing>): Promise<void> {
    if (!event.userId || !this.stripe) return;
    const account = await this.subscriptions.billingAccount(event.userId);
    if (!account) return;
    if (account.stripeSubscriptionId && isLiveStatus(account.status)) {
      const id = account.stripeSubscriptionId;
      await this.ignoreMissing((stripe) => stripe.subscriptions.cancel(id));
    }
    if (account.stripeCustomerId && this.config.stripe.deleteCustomerOnErasure) {
      const id = account.stripeCustomerId;
      await this.ignoreMissing((stripe) => stripe.customers.del(id));
    }
  }

  /**
   * A workspace's deletion cancels its live subscription at Stripe first (a failure stops
   * the deletion). Its customer stays at Stripe: receipts already sent remain valid.
   */
  @OnEvent(DomainEvents.WorkspaceDeleting, { async: true, promisify: true, suppressErrors: false })
  async onWorkspaceDeleting(
    event: DomainEvent<typeof DomainEvents.WorkspaceDeleting>,
  ): Promise<void> {
    if (!this.stripe) return;
    const account = await this.subscriptions.existingWorkspaceBillingAccount(
      event.metadata.workspaceId,
    );
    if (account?.stripeSubscriptionId && isLiveStatus(account.status)) {
      const id = account.stripeSubscriptionId;
      await this.ignoreMissing((stripe) => stripe.subscriptions.cancel(id));
    }
  }

  /**
   * A changed address reaches the Stripe customer, so receipts and the portal's mail follow
   * it. Best effort: a failure is logged and the change stands.
   */
  @OnEvent(DomainEvents.EmailChanged, { async: true, promisify: true })
  async onEmailChanged(event: DomainEvent<typeof DomainEvents.EmailChanged>): Promise<void> {
    if (!event.userId || !this.stripe) return;
    const customer = (await this.subscriptions.billingAccount(event.userId))?.stripeCustomerId;
    const user = customer ? await this.users.findById(event.userId) : null;
    if (!customer || !user) return;
    const stripe = this.stripe;
    await callStripe(() => stripe.customers.update(customer, { email: user.email })).catch(
      (error: Error) => this.logger.error({ err: error }, 'Stripe customer email not updated'),
    );
  }

  /**
   * Repairs drift: every subscription Stripe holds, and every row that points at Stripe, is
   * synced again. Safe at any time (syncing is idempotent). Returns what changed.
   */
  async reconcile(): Promise<{ account: string; from: string; to: string }[]> {
    const stripe = this.client();
    const accounts = new Map<string, string | null>();
    await callStripe(async () => {
      for await (const subscription of stripe.subscriptions.list({ status: 'all', limit: 100 })) {
        const account = await this.subscriptions.accountForStripe(subscription);
        if (account && !accounts.has(account.id)) accounts.set(account.id, subscription.id);
      }
    });
    for (const account of await this.subscriptions.listLinkedToStripe()) {
      if (!accounts.has(account.id)) accounts.set(account.id, null);
    }
    const changes: { account: string; from: string; to: string }[] = [];
    for (const [accountId, subscriptionId] of accounts) {
      const before = await this.subscriptions.accountById(accountId);
      if (!before) continue;
      const after = await this.sync.sync(accountId, subscriptionId, {
        kind: 'stripe',
        via: 'reconcile',
      });
      const label = before.workspaceId
        ? `workspace ${before.workspaceId}`
        : `user ${before.userId}`;
      const from = `${before.plan}/${before.status}`;
      const to = `${after.plan}/${after.status}`;
      if (from !== to) changes.push({ account: label, from, to });
      if (before.workspaceId) await this.seats.reconcileAfterSync(before.workspaceId, after);
    }
    return changes;
  }

  /** The account's Stripe customer, created once (for a user, or for a workspace). */
  private async customerFor(account: BillingAccount): Promise<string> {
    if (account.stripeCustomerId) return account.stripeCustomerId;
    const owner: { metadata: Record<string, string>; key: string } = account.workspaceId
      ? { metadata: { workspaceId: account.workspaceId }, key: `workspace-${account.workspaceId}` }
      : { metadata: { userId: account.userId! }, key: `user-${account.userId}` };
    const email = account.userId ? (await this.users.findById(account.userId))?.email : undefined;
    // The idempotency key makes concurrent checkouts of one account create one customer.
    const customer = await callStripe(() =>
      this.client().customers.create(
        { email, metadata: owner.metadata },
        { idempotencyKey: `customer-for-${owner.key}` },
      ),
    );
    return this.subscriptions.claimStripeCustomer(account, customer.id);
  }

  private async ignoreMissing(request: (stripe: Stripe) => Promise<unknown>): Promise<void> {
    try {
      await callStripe(() => request(this.client()));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
      this.logger.warn({ msg: 'Stripe object already gone during erasure or deletion' });
    }
  }

  private client(): Stripe {
    if (!this.stripe) throw new ServiceUnavailableException('Billing is not configured');
    return this.stripe;
  }
}
