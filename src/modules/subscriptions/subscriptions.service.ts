import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainEvents, type RequestMeta } from '../../common/events/domain-events.js';
import { EventPublisher } from '../../common/events/event-publisher.service.js';
import { AppConfig } from '../../config/app-config.js';
import { ProfileCache } from '../users/profile-cache.js';
import type { SubscriptionDto } from './dto/subscription.dto.js';
import { entitlementsOf, type Entitlements, type SubscriptionState } from './entitlements.js';
import type { PlanId, Subscription } from './subscription.entity.js';
import { SubscriptionsRepository } from './subscriptions.repository.js';

const CACHE_TTL_MS = 3_600_000;

type CachedSubscription = SubscriptionState & { cancelAtPeriodEnd: boolean };

/**
 * Subscriptions as the rest of the API sees them: the row, cached for an hour (in Redis
 * when configured, so every instance sees a change at once) and dropped on every change, and
 * the entitlements it grants now.
 */
@Injectable()
export class SubscriptionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly profiles: ProfileCache,
    private readonly events: EventPublisher,
    private readonly config: AppConfig,
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
  ) {}

  async state(userId: string): Promise<CachedSubscription> {
    const key = this.key(userId);
    const cached = await this.cache.get<CachedSubscription>(key).catch(() => undefined);
    if (cached) {
      return {
        ...cached,
        currentPeriodEnd: cached.currentPeriodEnd ? new Date(cached.currentPeriodEnd) : null,
        manualUntil: cached.manualUntil ? new Date(cached.manualUntil) : null,
      };
    }
    const row = await this.subscriptions.findByUserId(userId);
    if (!row) throw new NotFoundException('Subscription not found');
    const state = stateOf(row);
    await this.cache.set(key, state, CACHE_TTL_MS).catch(() => undefined);
    return state;
  }

  async entitlements(userId: string): Promise<Entitlements> {
    return this.entitle(await this.state(userId));
  }

  async me(userId: string): Promise<SubscriptionDto> {
    const state = await this.state(userId);
    const entitlements = this.entitle(state);
    return {
      plan: entitlements.plan,
      source: entitlements.source,
      status: state.status,
      currentPeriodEnd:
        state.manualPlan && entitlements.source === 'manual'
          ? state.manualUntil
          : state.currentPeriodEnd,
      cancelAtPeriodEnd: state.cancelAtPeriodEnd,
      features: entitlements.features,
      limits: entitlements.limits,
      manualUntil: state.manualUntil,
    };
  }

  /** An administrator's grant (comp account); 'free' removes it. Stripe events never undo it. */
  async grant(
    adminId: string,
    userId: string,
    plan: PlanId,
    until: Date | undefined,
    meta: RequestMeta,
  ): Promise<SubscriptionDto> {
    if (until && until.getTime() <= Date.now())
      throw new BadRequestException('currentPeriodEnd must be in the future');
    await this.change(userId, meta, async (manager) => {
      await this.subscriptions.update(manager, userId, {
        manualPlan: plan === 'free' ? null : plan,
        manualUntil: plan === 'free' ? null : (until ?? null),
        manualGrantedBy: plan === 'free' ? null : adminId,
        manualGrantedAt: plan === 'free' ? null : new Date(),
      });
      return { source: 'manual', by: adminId };
    });
    return this.me(userId);
  }

  /**
   * Applies a change under the row lock, stores the entitlements it results in, drops the
   * caches and publishes a plan change when the effective plan moved. `claim` runs first in
   * the same transaction (Billing records the webhook event there); when it returns false
   * nothing is applied. Returns whether the change was applied.
   */
  async change(
    userId: string,
    meta: RequestMeta,
    apply: (manager: EntityManager, current: Subscription) => Promise<Record<string, unknown>>,
    claim?: (manager: EntityManager) => Promise<boolean>,
  ): Promise<boolean> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const current = await this.subscriptions.lockByUserId(manager, userId);
      if (!current) throw new NotFoundException('Subscription not found');
      if (claim && !(await claim(manager))) return undefined;
      const previous = this.entitle(stateOf(current));
      const info = await apply(manager, current);
      const updated = (await this.subscriptions.findByUserId(userId, manager))!;
      const next = this.entitle(stateOf(updated));
      await this.subscriptions.update(manager, userId, { features: { ...next } });
      return { before: previous, after: next, details: info };
    });
    if (!outcome) return false;
    await this.forget(userId);
    if (outcome.before.plan !== outcome.after.plan) {
      this.events.publish(DomainEvents.PlanChanged, userId, meta, {
        from: outcome.before.plan,
        to: outcome.after.plan,
        ...outcome.details,
      });
    }
    return true;
  }

  /** Drops the entry now and once more a moment later, against a read that began before the change. */
  async forget(userId: string): Promise<void> {
    const drop = () => this.cache.del(this.key(userId)).catch(() => undefined);
    await drop();
    setTimeout(() => void drop(), 1000).unref();
    await this.profiles.forget(userId);
  }

  private entitle(state: SubscriptionState): Entitlements {
    return entitlementsOf(state, new Date(), this.config.stripe.pastDueGraceDays);
  }

  private key(userId: string): string {
    return `subscription:${userId}`;
  }
}

function stateOf(row: Subscription): CachedSubscription {
  return {
    plan: row.plan,
    status: row.status,
    currentPeriodEnd: row.currentPeriodEnd,
    cancelAtPeriodEnd: row.cancelAtPeriodEnd,
    manualPlan: row.manualPlan,
    manualUntil: row.manualUntil,
  };
}
