import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { In, IsNull } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { entitlementsOf } from './entitlements.js';
import type { PlanId } from './plan-catalogue.js';
import { Subscription } from './subscription.entity.js';

@Injectable()
export class SubscriptionsRepository {
  constructor(
    @InjectRepository(Subscription) private readonly subscriptions: Repository<Subscription>,
  ) {}

  /** The free subscription every account starts with, inside the caller's transaction. */
  async createFree(manager: EntityManager, userId: string): Promise<Subscription> {
    const repository = manager.getRepository(Subscription);
    const free = {
      plan: 'free' as const,
      status: 'active' as const,
      currentPeriodEnd: null,
      cancelAtPeriodEnd: false,
      manualPlan: null,
      manualUntil: null,
    };
    return repository.save(
      repository.create({ userId, ...free, features: { ...entitlementsOf(free, new Date(), 0) } }),
    );
  }

  findByUserId(
    userId: string,
    manager: EntityManager = this.subscriptions.manager,
  ): Promise<Subscription | null> {
    return manager.getRepository(Subscription).findOne({ where: { userId } });
  }

  findByUserIds(userIds: string[]): Promise<Subscription[]> {
    if (userIds.length === 0) return Promise.resolve([]);
    return this.subscriptions.find({ where: { userId: In(userIds) } });
  }

  /** A condition on another query's user id column: the user's stored plan is `plan`. */
  usersOnPlan(plan: PlanId, userIdColumn: string): { sql: string; parameters: object } {
    return {
      sql: `${userIdColumn} IN (SELECT s.user_id FROM subscriptions s WHERE s.plan = :onPlan)`,
      parameters: { onPlan: plan },
    };
  }

  findByStripeCustomerId(customerId: string): Promise<Subscription | null> {
    return this.subscriptions.findOne({ where: { stripeCustomerId: customerId } });
  }

  /** Locks the user's row for the rest of the caller's transaction. */
  lockByUserId(manager: EntityManager, userId: string): Promise<Subscription | null> {
    return manager
      .getRepository(Subscription)
      .createQueryBuilder('subscription')
      .setLock('pessimistic_write')
      .where('subscription.userId = :userId', { userId })
      .getOne();
  }

  async update(
    manager: EntityManager,
    userId: string,
    fields: QueryDeepPartialEntity<Subscription>,
  ): Promise<void> {
    await manager.getRepository(Subscription).update({ userId }, fields);
  }

  /** The next number in the order of Stripe syncs (across instances: one sequence). */
  async nextStripeSyncTicket(): Promise<number> {
    const [row] = (await this.subscriptions.query(
      `SELECT nextval('subscriptions_stripe_sync_seq') AS ticket`,
    )) as { ticket: string }[];
    return Number(row.ticket);
  }

  /** Stores the Stripe customer unless one is already stored; returns the one that is. */
  async claimCustomerId(userId: string, customerId: string): Promise<string> {
    await this.subscriptions.update(
      { userId, stripeCustomerId: IsNull() },
      { stripeCustomerId: customerId },
    );
    const row = await this.subscriptions.findOneOrFail({ where: { userId } });
    return row.stripeCustomerId!;
  }

  /** Marks the trial as used unless it already is; true when this call marked it. */
  async claimTrial(userId: string, at: Date): Promise<boolean> {
    const result = await this.subscriptions.update(
      { userId, trialUsedAt: IsNull() },
      { trialUsedAt: at },
    );
    return (result.affected ?? 0) > 0;
  }

  /** Undoes the claim made at `at` (the checkout that would have offered it failed). */
  async releaseTrial(userId: string, at: Date): Promise<void> {
    await this.subscriptions.update({ userId, trialUsedAt: at }, { trialUsedAt: null });
  }

  /** Every row that Stripe knows about, for reconciliation. */
  listLinkedToStripe(): Promise<Subscription[]> {
    return this.subscriptions
      .createQueryBuilder('subscription')
      .where(
        'subscription.stripeCustomerId IS NOT NULL OR subscription.stripeSubscriptionId IS NOT NULL',
      )
      .getMany();
  }
}
