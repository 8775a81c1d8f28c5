import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
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
import { userForStripe } from './stripe-user.js';
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
    private readonly options: CheckoutOptionsService,
    private readonly planChanges: PlanChangeService,
    private readonly invoiceList: InvoicesService,
  ) {}

  /**
   * A Stripe Checkout session for a paid plan, on the account's Stripe customer (created
   * once), with what configuration and the account allow: a trial, a promotion code (checked
   * first: an invalid one creates nothing at Stripe), automatic tax.
   */
  async checkout(userId: string, request: CheckoutDto): Promise<CheckoutSessionDto> {
    const stripe = this.client();
    await this.users.assertEmailVerified(userId);
    const { plan, interval } = request;
    const price = stripePriceId(this.config, plan, interval);
    if (!price) throw new BadRequestException(`The ${plan} plan is not available per ${interval}`);
    const account = await this.accountFor(userId, request.workspaceId);
    if (account.stripeSubscriptionId && isLiveStatus(account.status)) {
      throw new ConflictException(
        'You already have a subscription: change it in the billing portal',
      );
    }
    const discounts = request.promotionCode
      ? await this.options.promotion(request.promotionCode, price, account.stripeCustomerId)
      : undefined;
    const customer = await this.customerFor(account);
    const trial = await this.options.trial(account, customer);
    const metadata = { userId: account.userId };
    let session: Stripe.Checkout.Session;
    try {
      session = await callStripe(() =>
        stripe.checkout.sessions.create({
          mode: 'subscription',
          customer,
          client_reference_id: account.userId,
          metadata,
          line_items: [{ price, quantity: 1 }],
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
    const account = await this.accountFor(userId, request.workspaceId);
    return this.planChanges.change(account, request, request.prorationDate, meta);
  }

  async previewPlanChange(
    userId: string,
    query: PlanChangeQueryDto,
  ): Promise<PlanChangePreviewDto> {
    this.client();
    const account = await this.accountFor(userId, query.workspaceId);
    return this.planChanges.preview(account, query);
  }

  async invoices(userId: string, query: InvoicesQueryDto): Promise<InvoiceDto[]> {
    this.client();
    const account = await this.accountFor(userId, query.workspaceId);
    return this.invoiceList.list(account, query.limit);
  }

  async portal(userId: string): Promise<PortalSessionDto> {
    const stripe = this.client();
    const customer = (await this.accountFor(userId)).stripeCustomerId;
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
  @OnEvent(DomainEvents.Erasing, { async: true, promisify: true })
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
  async reconcile(): Promise<{ userId: string; from: string; to: string }[]> {
    const stripe = this.client();
    const users = new Map<string, string | null>();
    await callStripe(async () => {
      for await (const subscription of stripe.subscriptions.list({ status: 'all', limit: 100 })) {
        const userId = await userForStripe(this.subscriptions, subscription);
        if (userId && !users.has(userId)) users.set(userId, subscription.id);
      }
    });
    for (const account of await this.subscriptions.listLinkedToStripe()) {
      if (!users.has(account.userId)) users.set(account.userId, null);
    }
    const changes: { userId: string; from: string; to: string }[] = [];
    for (const [userId, subscriptionId] of users) {
      if (!(await this.users.findById(userId))) continue;
      const before = await this.subscriptions.billingAccount(userId);
      const after = await this.sync.sync(userId, subscriptionId);
      const from = `${before?.plan}/${before?.status}`;
      const to = `${after.plan}/${after.status}`;
      if (from !== to) changes.push({ userId, from, to });
    }
    return changes;
  }

  /**
   * The billing account every billing route works on: today the user's own. A workspace's
   * account (its customer and subscription) plugs in here; until then a workspace is not
   * found.
   */
  private async accountFor(userId: string, workspaceId?: string): Promise<BillingAccount> {
    if (workspaceId !== undefined) throw new NotFoundException('Workspace not found');
    const account = await this.subscriptions.billingAccount(userId);
    if (!account) throw new NotFoundException('Subscription not found');
    return account;
  }

  private async customerFor(account: BillingAccount): Promise<string> {
    if (account.stripeCustomerId) return account.stripeCustomerId;
    const { userId } = account;
    const user = await this.users.findById(userId);
    // The idempotency key makes concurrent checkouts of one user create one customer.
    const customer = await callStripe(() =>
      this.client().customers.create(
        { email: user?.email, metadata: { userId } },
        { idempotencyKey: `customer-for-user-${userId}` },
      ),
    );
    return this.subscriptions.claimStripeCustomer(userId, customer.id);
  }

  private async ignoreMissing(request: (stripe: Stripe) => Promise<unknown>): Promise<void> {
    try {
      await callStripe(() => request(this.client()));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
      this.logger.warn({ msg: 'Stripe object already gone during erasure' });
    }
  }

  private client(): Stripe {
    if (!this.stripe) throw new ServiceUnavailableException('Billing is not configured');
    return this.stripe;
  }
}
