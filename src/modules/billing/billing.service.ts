import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  ServiceUnavailableException,
} from '@nestjs/common';
import type Stripe from 'stripe';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { AppConfig } from '../../config/app-config.js';
import { stripePriceId } from '../subscriptions/plan-catalogue.js';
import { isLiveStatus } from '../subscriptions/subscription-status.js';
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
import { BillingAccountsService } from './billing-accounts.service.js';

/**
 * The billing routes' work on the caller's (or a workspace's) account: checkout, portal,
 * plan changes and invoices. What other changes mean at Stripe is BillingLifecycleService's;
 * reconciliation is BillingReconciliationService's.
 */
@Injectable()
export class BillingService {
  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe | null,
    private readonly config: AppConfig,
    private readonly accounts: BillingAccountsService,
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
    const { plan, interval } = request;
    const price = stripePriceId(this.config, plan, interval);
    if (!price) throw new BadRequestException(`The ${plan} plan is not available per ${interval}`);
    if (request.workspaceId && plan !== 'business')
      throw new BadRequestException('A workspace subscribes to the business plan (per seat)');
    const account = await this.accounts.forCaller(userId, request.workspaceId, { verified: true });
    if (account.stripeSubscriptionId && isLiveStatus(account.status)) {
      throw new ConflictException(
        'You already have a subscription: change it in the billing portal',
      );
    }
    const discounts = request.promotionCode
      ? await this.options.promotion(request.promotionCode, price, account.stripeCustomerId)
      : undefined;
    const customer = await this.accounts.customerFor(account);
    const trial = await this.options.trial(account, customer, userId);
    const metadata: Record<string, string> = account.workspaceId
      ? { workspaceId: account.workspaceId }
      : { userId: account.userId! };
    const quantity = await this.accounts.seats(account);
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
    if (request.workspaceId && request.plan !== 'business')
      throw new BadRequestException('A workspace subscribes to the business plan (per seat)');
    const account = await this.accounts.forCaller(userId, request.workspaceId, { verified: true });
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

  private client(): Stripe {
    if (!this.stripe) throw new ServiceUnavailableException('Billing is not configured');
    return this.stripe;
  }
}
