import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import {
  DomainEvents,
  type PlanChangeSource,
  type RequestMeta,
} from '../../common/events/domain-events.js';
import { EventPublisher } from '../../common/events/event-publisher.service.js';
import { evictNowAndLater } from '../../common/cache/now-and-later.js';
import { isUuid } from '../../common/text/identifiers.js';
import { Clock } from '../../common/time/clock.js';
import { AppConfig } from '../../config/app-config.js';
import type {
  BillingAccount,
  BillingSync,
  BillingSyncOutcome,
  StripeSubscriptionSnapshot,
} from './billing-account.js';
import { SubscriptionSummaryDto, type SubscriptionDto } from './dto/subscription.dto.js';
import {
  entitlementsOf,
  periodEndOf,
  type Entitlements,
  type SubscriptionState,
} from './entitlements.js';
import type { PlanId } from './plan-catalogue.js';
import type { Subscription } from './subscription.entity.js';
import { SubscriptionsRepository } from './subscriptions.repository.js';

const CACHE_TTL_MS = 3_600_000;
/** A change that no request made (the cache signal after it carries no address). */
const NO_REQUEST = { ip: null, userAgent: null };

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
    private readonly events: EventPublisher,
    private readonly config: AppConfig,
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    private readonly clock: Clock,
  ) {}

  /** The free subscription every account starts with, in the caller's transaction. */
  createFree(manager: EntityManager, userId: string): Promise<Subscription> {
    return this.subscriptions.createFree(manager, userId);
  }

  async state(userId: string): Promise<CachedSubscription> {
    const key = this.key(userId);
    const cached = await this.cache.get<CachedSubscription>(key).catch(() => undefined);
    if (cached) return revived(cached);
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
    return { ...this.summarise(state), manualUntil: state.manualUntil };
  }

  /**
   * The state a profile keeps a copy of (null for a user without a subscription): the copy is
   * summarised on each read (summaryOf), so what it shows is what applies at that moment, and
   * dropped on every change (DomainEvents.SubscriptionChanged).
   */
  async stateForProfile(userId: string): Promise<SubscriptionState | null> {
    try {
      return await this.state(userId);
    } catch (error) {
      if (error instanceof NotFoundException) return null;
      throw error;
    }
  }

  /** What a profile shows of a subscription state now (a copy from a cache is fine). */
  summaryOf(state: SubscriptionState): SubscriptionSummaryDto {
    return this.summarise(revived(state));
  }

  /** The summaries of a page of users, in one read. */
  async summaries(userIds: string[]): Promise<Map<string, SubscriptionSummaryDto>> {
    const rows = await this.subscriptions.findByUserIds(userIds);
    return new Map(rows.map((row) => [row.userId, this.summarise(stateOf(row))]));
  }

  /**
   * The condition "the user's stored plan is `plan`", as SQL for another module's query on
   * `users` (the admin list's filter): the subscriptions table is read only by this module.
   */
  usersOnPlan(plan: PlanId, userIdColumn: string): { sql: string; parameters: object } {
    return this.subscriptions.usersOnPlan(plan, userIdColumn);
  }

  /** An administrator's grant (comp account); 'free' removes it. Stripe events never undo it. */
  async grant(
    adminId: string,
    userId: string,
    plan: PlanId,
    until: Date | undefined,
    meta: RequestMeta,
  ): Promise<SubscriptionDto> {
    if (until && until.getTime() <= this.clock.nowMs())
      throw new BadRequestException('currentPeriodEnd must be in the future');
    await this.change(userId, meta, async (manager) => {
      await this.subscriptions.update(manager, userId, {
        manualPlan: plan === 'free' ? null : plan,
        manualUntil: plan === 'free' ? null : (until ?? null),
        manualGrantedBy: plan === 'free' ? null : adminId,
        manualGrantedAt: plan === 'free' ? null : this.clock.now(),
      });
      return { source: 'manual', by: adminId };
    });
    return this.me(userId);
  }

  /** The user's subscription as Billing sees it, or null when the user is gone. */
  async billingAccount(userId: string): Promise<BillingAccount | null> {
    const row = await this.subscriptions.findByUserId(userId);
    return row && accountOf(row);
  }

  /** Whether a user (still) has a subscription row: erased users do not. */
  async exists(userId: string | null | undefined): Promise<boolean> {
    return isUuid(userId) && (await this.subscriptions.findByUserId(userId)) !== null;
  }

  async userIdForStripeCustomer(customerId: string): Promise<string | undefined> {
    return (await this.subscriptions.findByStripeCustomerId(customerId))?.userId;
  }

  /** Stores the Stripe customer unless one is already stored; returns the one that is. */
  async claimStripeCustomer(userId: string, customerId: string): Promise<string> {
    const stored = await this.subscriptions.claimCustomerId(userId, customerId);
    await this.forget(userId);
    return stored;
  }

  /**
   * Marks the account's one trial as used, once: true for the one caller that marked it, so
   * of concurrent checkouts only one offers a trial. The mark outlives the subscription.
   */
  claimTrial(userId: string, at: Date): Promise<boolean> {
    return this.subscriptions.claimTrial(userId, at);
  }

  /** Gives the trial back when the checkout that claimed it at `at` was not opened. */
  releaseTrial(userId: string, at: Date): Promise<void> {
    return this.subscriptions.releaseTrial(userId, at);
  }

  /** Every account that Stripe knows about, for reconciliation. */
  async listLinkedToStripe(): Promise<BillingAccount[]> {
    return (await this.subscriptions.listLinkedToStripe()).map(accountOf);
  }

  /**
   * Begins a sync with Stripe, before Stripe is asked anything: the account, and a ticket from
   * one PostgreSQL sequence shared by every instance. See applyBillingSnapshot for its use.
   */
  async startBillingSync(userId: string): Promise<BillingSync> {
    const ticket = await this.subscriptions.nextStripeSyncTicket();
    const account = await this.billingAccount(userId);
    if (!account) throw new NotFoundException('Subscription not found');
    return { account, ticket };
  }

  /**
   * Writes Stripe's state, fetched since `sync` began, in one short transaction under the row
   * lock; no call to Stripe happens while the lock is held. Syncs of one user are ordered by
   * their tickets: a sync that began earlier may have read Stripe before a later one did, so
   * when the row already holds the state of a later ticket this one writes nothing (that
   * state is at least as new). Stripe sends an event after every change, and its sync begins
   * after the change, so the row always ends in Stripe's latest state. `claim` runs first in
   * the same transaction (the webhook inbox); when it refuses nothing is written.
   */
  async applyBillingSnapshot(
    sync: BillingSync,
    snapshot: StripeSubscriptionSnapshot,
    meta: RequestMeta,
    claim?: (manager: EntityManager) => Promise<boolean>,
  ): Promise<BillingSyncOutcome> {
    const { userId } = sync.account;
    let superseded = false;
    const updated = await this.change(
      userId,
      meta,
      async (manager, current) => {
        if (current.stripeSyncedSeq !== null && current.stripeSyncedSeq >= sync.ticket) {
          superseded = true;
          return {
            source: 'stripe',
            stripeSubscriptionId: current.stripeSubscriptionId,
            status: current.status,
          };
        }
        const fields = stripeFieldsOf(snapshot, current);
        await this.subscriptions.update(manager, userId, {
          ...fields,
          stripeSyncedSeq: sync.ticket,
        });
        return {
          source: 'stripe',
          stripeSubscriptionId: snapshot.kind === 'subscription' ? snapshot.subscriptionId : null,
          status: fields.status,
        };
      },
      claim,
    );
    const row = updated ?? (await this.subscriptions.findByUserId(userId));
    if (!row) throw new NotFoundException('Subscription not found');
    return { claimed: updated !== undefined, superseded, plan: row.plan, status: row.status };
  }

  /**
   * Applies a change under the row lock, stores the entitlements it results in, drops the
   * caches and publishes a plan change when the effective plan moved. `claim` runs first in
   * the same transaction; when it returns false nothing is applied. Returns the row as
   * changed, or undefined when nothing was applied.
   */
  private async change(
    userId: string,
    meta: RequestMeta,
    apply: (manager: EntityManager, current: Subscription) => Promise<PlanChangeSource>,
    claim?: (manager: EntityManager) => Promise<boolean>,
  ): Promise<Subscription | undefined> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const current = await this.subscriptions.lockByUserId(manager, userId);
      if (!current) throw new NotFoundException('Subscription not found');
      if (claim && !(await claim(manager))) return undefined;
      const previous = this.entitle(stateOf(current));
      const source = await apply(manager, current);
      const updated = (await this.subscriptions.findByUserId(userId, manager))!;
      const next = this.entitle(stateOf(updated));
      await this.subscriptions.update(manager, userId, { features: { ...next } });
      return { before: previous, after: next, source, updated };
    });
    if (!outcome) return undefined;
    await this.forget(userId);
    if (outcome.before.plan !== outcome.after.plan) {
      this.events.publish(DomainEvents.PlanChanged, userId, meta, {
        from: outcome.before.plan,
        to: outcome.after.plan,
        ...outcome.source,
      });
    }
    return outcome.updated;
  }

  /**
   * After a change: drops the cached row (now and a moment later, against a read that began
   * before it) and waits for the holders of copies (the profile cache) to drop theirs.
   */
  async forget(userId: string): Promise<void> {
    await evictNowAndLater(this.cache, this.key(userId));
    await this.events.publishAndWait(DomainEvents.SubscriptionChanged, userId, NO_REQUEST);
  }

  private entitle(state: SubscriptionState): Entitlements {
    return entitlementsOf(state, this.clock.now(), this.config.stripe.pastDueGraceDays);
  }

  private summarise(state: CachedSubscription): SubscriptionSummaryDto {
    const entitlements = this.entitle(state);
    return {
      plan: entitlements.plan,
      source: entitlements.source,
      status: state.status,
      currentPeriodEnd: periodEndOf(state, entitlements),
      cancelAtPeriodEnd: state.cancelAtPeriodEnd,
      features: entitlements.features,
      limits: entitlements.limits,
    };
  }

  private key(userId: string): string {
    return `subscription:${userId}`;
  }
}

function accountOf(row: Subscription): BillingAccount {
  return {
    userId: row.userId,
    plan: row.plan,
    status: row.status,
    stripeCustomerId: row.stripeCustomerId,
    stripeSubscriptionId: row.stripeSubscriptionId,
    trialUsedAt: row.trialUsedAt,
  };
}

/**
 * The row's Stripe columns for a snapshot. Without a subscription the user is back on free:
 * 'canceled' when they had one, 'active' (the free default) when they never had.
 */
function stripeFieldsOf(snapshot: StripeSubscriptionSnapshot, current: Subscription) {
  if (snapshot.kind === 'none') {
    return {
      plan: 'free' as PlanId,
      status: current.stripeSubscriptionId ? ('canceled' as const) : ('active' as const),
      stripePriceId: null,
      currentPeriodStart: null,
      currentPeriodEnd: null,
      cancelAtPeriodEnd: false,
    };
  }
  return {
    plan: snapshot.plan,
    status: snapshot.status,
    stripeSubscriptionId: snapshot.subscriptionId,
    stripeCustomerId: snapshot.customerId,
    stripePriceId: snapshot.priceId,
    currentPeriodStart: snapshot.currentPeriodStart,
    currentPeriodEnd: snapshot.currentPeriodEnd,
    cancelAtPeriodEnd: snapshot.cancelAtPeriodEnd,
  };
}

/** Dates come back from a JSON cache as strings. */
function revived(state: SubscriptionState): CachedSubscription {
  const date = (value: Date | string | null) => (value === null ? null : new Date(value));
  return {
    ...state,
    currentPeriodEnd: date(state.currentPeriodEnd),
    manualUntil: date(state.manualUntil),
  };
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
