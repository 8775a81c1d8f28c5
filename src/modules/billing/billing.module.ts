import { Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module.js';
import { UsersModule } from '../users/users.module.js';
import { WorkspacesModule } from '../workspaces/workspaces.module.js';
import { BillingAccountsService } from './billing-accounts.service.js';
import { BillingLifecycleService } from './billing-lifecycle.service.js';
import { BillingReconciliationService } from './billing-reconciliation.service.js';
import { BillingTimelineController } from './billing-timeline.controller.js';
import { BillingController } from './billing.controller.js';
import { BillingService } from './billing.service.js';
import { SeatBillingService } from './seat-billing.service.js';
import { CheckoutOptionsService } from './checkout-options.service.js';
import { InvoicesService } from './invoices.service.js';
import { PlanChangeService } from './plan-change.service.js';
import { StripeEventsRepository } from './stripe-events.repository.js';
import { createStripeClient, STRIPE } from './stripe.client.js';
import { SubscriptionSyncService } from './subscription-sync.service.js';
import { WebhookService } from './webhook.service.js';

@Module({
  imports: [SubscriptionsModule, UsersModule, WorkspacesModule],
  controllers: [BillingController, BillingTimelineController],
  providers: [
    { provide: STRIPE, inject: [AppConfig], useFactory: createStripeClient },
    BillingService,
    BillingAccountsService,
    BillingLifecycleService,
    BillingReconciliationService,
    SeatBillingService,
    CheckoutOptionsService,
    InvoicesService,
    PlanChangeService,
    SubscriptionSyncService,
    StripeEventsRepository,
    WebhookService,
  ],
  exports: [BillingService, BillingReconciliationService],
})
export class BillingModule {}
