import { Inject, Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type Stripe from 'stripe';
import { DomainEvents, type DomainEvent } from '../../common/events/domain-events.js';
import { AppConfig } from '../../config/app-config.js';
import { isLiveStatus } from '../subscriptions/subscription-status.js';
import { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import { UsersService } from '../users/users.service.js';
import { callStripe, STRIPE } from './stripe.client.js';

/**
 * What other modules' changes mean at Stripe: an erasure and a workspace's deletion cancel
 * the live subscription first (awaited: a Stripe failure stops them), an address change
 * reaches the customer.
 */
@Injectable()
export class BillingLifecycleService {
  private readonly logger = new Logger(BillingLifecycleService.name);

  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe | null,
    private readonly subscriptions: SubscriptionsService,
    private readonly users: UsersService,
    private readonly config: AppConfig,
  ) {}

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

  private async ignoreMissing(request: (stripe: Stripe) => Promise<unknown>): Promise<void> {
    try {
      await callStripe(() => request(this.stripe!));
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
      this.logger.warn({ msg: 'Stripe object already gone during erasure or deletion' });
    }
  }
}
