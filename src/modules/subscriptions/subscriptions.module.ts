import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PlansController } from './plans.controller.js';
import { PlansService } from './plans.service.js';
import { RequiresFeatureGuard } from './requires-feature.guard.js';
import { Subscription } from './subscription.entity.js';
import { SubscriptionsController } from './subscriptions.controller.js';
import { SubscriptionsRepository } from './subscriptions.repository.js';
import { SubscriptionsService } from './subscriptions.service.js';
import { UsageRepository } from './usage.repository.js';
import { UsageService } from './usage.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([Subscription])],
  controllers: [PlansController, SubscriptionsController],
  providers: [
    PlansService,
    SubscriptionsRepository,
    SubscriptionsService,
    UsageRepository,
    UsageService,
    RequiresFeatureGuard,
  ],
  exports: [PlansService, SubscriptionsService, RequiresFeatureGuard],
})
export class SubscriptionsModule {}
