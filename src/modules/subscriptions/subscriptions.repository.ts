import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { PLANS } from './plan-catalogue.js';
import { Subscription } from './subscription.entity.js';

@Injectable()
export class SubscriptionsRepository {
  constructor(
    @InjectRepository(Subscription) private readonly subscriptions: Repository<Subscription>,
  ) {}

  /** The free subscription every account starts with, inside the caller's transaction. */
  async createFree(manager: EntityManager, userId: string): Promise<Subscription> {
    const free = PLANS.free;
    return manager.getRepository(Subscription).save(
      manager.getRepository(Subscription).create({
        userId,
        plan: 'free',
        status: 'active',
        features: { features: free.features, limits: free.limits },
      }),
    );
  }

  findByUserId(userId: string): Promise<Subscription | null> {
    return this.subscriptions.findOne({ where: { userId } });
  }
}
