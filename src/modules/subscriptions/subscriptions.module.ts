import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PlansController } from './plans.controller.js';
import { PlansService } from './plans.service.js';
import { Subscription } from './subscription.entity.js';
import { SubscriptionsRepository } from './subscriptions.repository.js';

@Module({
  imports: [TypeOrmModule.forFeature([Subscription])],
  controllers: [PlansController],
  providers: [PlansService, SubscriptionsRepository],
  exports: [PlansService, SubscriptionsRepository],
})
export class SubscriptionsModule {}
