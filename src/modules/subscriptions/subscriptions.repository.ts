import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { In, IsNull } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { entitlementsOf } from './entitlements.js';
import type { PlanId } from './plan-catalogue.js';
import { Subscription } from './subscription.entity.js';
import type { SubscriptionStatus } from './subscription-status.js';

/** One entry of a subscription's timeline (table subscription_changes). */
export interface SubscriptionChange {
  subscriptionId: string;
  occurredAt: Date;
  cause: 'stripe' | 'manual';
  stripeEventId: string | null;
  stripeEventType: string | null;
  actorId: string | null;
  fromPlan: PlanId;
  toPlan: PlanId;
  fromStatus: SubscriptionStatus;
  toStatus: SubscriptionStatus;
  detail: Record<string, unknown>;
}

const FOREIGN_KEY_VIOLATION = '23503';

/** A new row's columns: the free plan, and the entitlements it grants. */
function freeRow() {
  const free = {
    plan: 'free' as const,
    status: 'active' as const,
    currentPeriodEnd: null,
    cancelAtPeriodEnd: false,
    manualPlan: null,
    manualUntil: null,
  };
  return { ...free, features: { ...entitlementsOf(free, new Date(), 0) } };
}

@Injectable()
export class SubscriptionsRepository {
  constructor(
    @InjectRepository(Subscription) private readonly subscriptions: Repository<Subscription>,
  ) {}

  /** The free subscription every account starts with, inside the caller's transaction. */
  async createFree(manager: EntityManager, userId: string): Promise<Subscription> {
    const repository = manager.getRepository(Subscription);
    return repository.save(repository.create({ userId, ...freeRow() }));
  }

  findByUserId(
    userId: string,
    manager: EntityManager = this.subscriptions.manager,
  ): Promise<Subscription | null> {
    return manager.getRepository(Subscription).findOne({ where: { userId } });
  }

  findById(
    id: string,
    manager: EntityManager = this.subscriptions.manager,
  ): Promise<Subscription | null> {
    return manager.getRepository(Subscription).findOne({ where: { id } });
  }

  findByWorkspaceId(workspaceId: string): Promise<Subscription | null> {
    return this.subscriptions.findOne({ where: { workspaceId } });
  }

  /** The workspaces' subscription rows (a workspace that never subscribed has none). */
  findByWorkspaceIds(workspaceIds: string[]): Promise<Subscription[]> {
    if (workspaceIds.length === 0) return Promise.resolve([]);
    return this.subscriptions.find({ where: { workspaceId: In(workspaceIds) } });
  }

  /**
   * A workspace's subscription row, created (free) the first time billing needs it. Null
   * when the workspace is gone (deleted since its caller's access was checked).
   */
  async findOrCreateForWorkspace(workspaceId: string): Promise<Subscription | null> {
    try {
      await this.subscriptions
        .createQueryBuilder()
        .insert()
        .values({ workspaceId, ...freeRow() })
        .orIgnore()
        .execute();
    } catch (error) {
      if ((error as { code?: string }).code !== FOREIGN_KEY_VIOLATION) throw error;
      return null;
    }
    return this.subscriptions.findOne({ where: { workspaceId } });
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

  /** Locks the row for the rest of the caller's transaction. */
  lockById(manager: EntityManager, id: string): Promise<Subscription | null> {
    return manager
      .getRepository(Subscription)
      .createQueryBuilder('subscription')
      .setLock('pessimistic_write')
      .where('subscription.id = :id', { id })
      .getOne();
  }

  async update(
    manager: EntityManager,
    id: string,
    fields: QueryDeepPartialEntity<Subscription>,
  ): Promise<void> {
    await manager.getRepository(Subscription).update({ id }, fields);
  }

  /** One entry of the subscription's timeline, in the transaction of the change. */
  async recordChange(manager: EntityManager, change: SubscriptionChange): Promise<void> {
    await manager.query(
      `INSERT INTO subscription_changes (subscription_id, occurred_at, cause, stripe_event_id,
         stripe_event_type, actor_id, from_plan, to_plan, from_status, to_status, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [
        change.subscriptionId,
        change.occurredAt,
        change.cause,
        change.stripeEventId,
        change.stripeEventType,
        change.actorId,
        change.fromPlan,
        change.toPlan,
        change.fromStatus,
        change.toStatus,
        change.detail,
      ],
    );
  }

  /** The newest `limit` changes of a subscription, newest first. */
  async changes(subscriptionId: string, limit: number): Promise<SubscriptionChange[]> {
    const rows: Record<string, unknown>[] = await this.subscriptions.query(
      `SELECT subscription_id, occurred_at, cause, stripe_event_id, stripe_event_type, actor_id,
              from_plan, to_plan, from_status, to_status, detail
         FROM subscription_changes WHERE subscription_id = $1
        ORDER BY occurred_at DESC, id DESC LIMIT $2`,
      [subscriptionId, limit],
    );
    return rows.map((row) => ({
      subscriptionId: row.subscription_id as string,
      occurredAt: row.occurred_at as Date,
      cause: row.cause as SubscriptionChange['cause'],
      stripeEventId: row.stripe_event_id as string | null,
      stripeEventType: row.stripe_event_type as string | null,
      actorId: row.actor_id as string | null,
      fromPlan: row.from_plan as PlanId,
      toPlan: row.to_plan as PlanId,
      fromStatus: row.from_status as SubscriptionStatus,
      toStatus: row.to_status as SubscriptionStatus,
      detail: row.detail as Record<string, unknown>,
    }));
  }

  /** The next number in the order of Stripe syncs (across instances: one sequence). */
  async nextStripeSyncTicket(): Promise<number> {
    const [row] = (await this.subscriptions.query(
      `SELECT nextval('subscriptions_stripe_sync_seq') AS ticket`,
    )) as { ticket: string }[];
    return Number(row.ticket);
  }

  /** Stores the Stripe customer unless one is already stored; returns the one that is. */
  async claimCustomerId(id: string, customerId: string): Promise<string> {
    await this.subscriptions.update(
      { id, stripeCustomerId: IsNull() },
      { stripeCustomerId: customerId },
    );
    const row = await this.subscriptions.findOneOrFail({ where: { id } });
    return row.stripeCustomerId!;
  }

  /** Marks the trial as used unless it already is; true when this call marked it. */
  async claimTrial(id: string, at: Date): Promise<boolean> {
    const result = await this.subscriptions.update(
      { id, trialUsedAt: IsNull() },
      { trialUsedAt: at },
    );
    return (result.affected ?? 0) > 0;
  }

  /** Undoes the claim made at `at` (the checkout that would have offered it failed). */
  async releaseTrial(id: string, at: Date): Promise<void> {
    await this.subscriptions.update({ id, trialUsedAt: at }, { trialUsedAt: null });
  }

  /** The user's one workspace trial: false when they claimed it before. */
  async claimWorkspaceTrial(userId: string, at: Date): Promise<boolean> {
    const rows: unknown[] = await this.subscriptions.query(
      `INSERT INTO workspace_trial_claims (user_id, claimed_at) VALUES ($1, $2)
       ON CONFLICT (user_id) DO NOTHING RETURNING user_id`,
      [userId, at],
    );
    return rows.length > 0;
  }

  /** Undoes the claim made at `at`. */
  async releaseWorkspaceTrial(userId: string, at: Date): Promise<void> {
    await this.subscriptions.query(
      `DELETE FROM workspace_trial_claims WHERE user_id = $1 AND claimed_at = $2`,
      [userId, at],
    );
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
