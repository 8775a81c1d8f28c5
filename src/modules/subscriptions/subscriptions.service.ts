import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { OnEvent } from '@nestjs/event-emitter';
import {
  BY_ADMINISTRATOR,
  DomainEvents,
  type DomainEvent,
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
  ChangeCause,
  StripeOwner,
  StripeSubscriptionSnapshot,
} from './billing-account.js';
import { resolveStripeOwner } from './billing-account.js';
import {
  SubscriptionSummaryDto,
  type SubscriptionDto,
  type TimelineEntryDto,
} from './dto/subscription.dto.js';
import {
  bestOf,
  entitlementsOf,
  periodEndOf,
  type Entitlements,
  type PlanSources,
  type SubscriptionState,
} from './entitlements.js';
import type { PlanId } from './plan-catalogue.js';
import type { Subscription } from './subscription.entity.js';
import { SubscriptionsRepository, type SubscriptionChange } from './subscriptions.repository.js';
import { timelineEntryOf } from './timeline.js';
import { WorkspaceMemberships } from './workspace-memberships.js';

const CACHE_TTL_MS = 3_600_000;
/** A change that no request made (the cache signal after it carries no address). */
const NO_REQUEST = { ip: null, userAgent: null };
const TIMELINE_LIMIT = 100;

/**
 * Subscriptions as the rest of the API sees them. A user's plan comes from their own
 * subscription row and from the rows of the workspaces they belong to (per-seat Business
 * billing): the best of them applies. Those rows' states are cached together per user for
 * an hour (in Redis when configured, so every instance sees a change at once) and dropped on
 * every change to any of them and on every change of the user's memberships.
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
    private readonly memberships: WorkspaceMemberships,
  ) {}

  /** The free subscription every account starts with, in the caller's transaction. */
  createFree(manager: EntityManager, userId: string): Promise<Subscription> {
    return this.subscriptions.createFree(manager, userId);
  }

  /** What grants the user a plan: their own subscription and their workspaces' (cached). */
  async state(userId: string): Promise<PlanSources> {
    const key = this.key(userId);
    const cached = await this.cache.get<PlanSources>(key).catch(() => undefined);
    if (cached) return revivedSources(cached);
    const [row, workspaceIds] = await Promise.all([
      this.subscriptions.findByUserId(userId),
      this.memberships.workspaceIdsOf(userId),
    ]);
    if (!row) throw new NotFoundException('Subscription not found');
    const workspaceRows = await this.subscriptions.findByWorkspaceIds(workspaceIds);
    const sources: PlanSources = {
      own: stateOf(row),
      workspaces: workspaceRows
        .filter((workspace) => workspace.plan !== 'free' || workspace.manualPlan !== null)
        .map((workspace) => ({ workspaceId: workspace.workspaceId!, state: stateOf(workspace) })),
    };
    await this.cache.set(key, sources, CACHE_TTL_MS).catch(() => undefined);
    return sources;
  }

  async entitlements(userId: string): Promise<Entitlements> {
    return this.best(await this.state(userId)).entitlements;
  }

  async me(userId: string): Promise<SubscriptionDto> {
    const best = this.best(await this.state(userId));
    return { ...this.summarise(best), manualUntil: best.state.manualUntil };
  }

  /**
   * One account's own subscription (a user's, or a workspace's), read afresh: what a billing
   * change answers with. `workspaceId` names the workspace for a workspace's account.
   */
  async accountSubscription(account: BillingAccount): Promise<SubscriptionDto> {
    const row = await this.subscriptions.findById(account.id);
    if (!row) throw new NotFoundException('Subscription not found');
    const state = stateOf(row);
    const best = { state, entitlements: this.entitle(state), workspaceId: row.workspaceId };
    return { ...this.summarise(best), manualUntil: state.manualUntil };
  }

  /**
   * The plan sources a profile keeps a copy of (null for a user without a subscription): the
   * copy is summarised on each read (summaryOf), so what it shows is what applies at that
   * moment, and dropped on every change (DomainEvents.SubscriptionChanged).
   */
  async stateForProfile(userId: string): Promise<PlanSources | null> {
    try {
      return await this.state(userId);
    } catch (error) {
      if (error instanceof NotFoundException) return null;
      throw error;
    }
  }

  /** What a profile shows of a user's plan now (a copy from a cache is fine). */
  summaryOf(sources: PlanSources): SubscriptionSummaryDto {
    return this.summarise(this.best(revivedSources(sources)));
  }

  /** The summaries of a page of users, in one read. */
  async summaries(userIds: string[]): Promise<Map<string, SubscriptionSummaryDto>> {
    const rows = await this.subscriptions.findByUserIds(userIds);
    return new Map(
      rows.map((row) => [
        row.userId!,
        this.summarise(this.best({ own: stateOf(row), workspaces: [] })),
      ]),
    );
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
  ): Promise<SubscriptionDto> {
    if (until && until.getTime() <= this.clock.nowMs())
      throw new BadRequestException('currentPeriodEnd must be in the future');
    const account = await this.billingAccount(userId);
    if (!account) throw new NotFoundException('Subscription not found');
    const cause: ChangeCause = { kind: 'manual', by: adminId };
    await this.change(account.id, BY_ADMINISTRATOR, cause, async (manager) => {
      await this.subscriptions.update(manager, account.id, {
        manualPlan: plan === 'free' ? null : plan,
        manualUntil: plan === 'free' ? null : (until ?? null),
        manualGrantedBy: plan === 'free' ? null : adminId,
        manualGrantedAt: plan === 'free' ? null : this.clock.now(),
      });
      return { source: 'manual', by: adminId };
    });
    return this.me(userId);
  }

  /** The user's own subscription as Billing sees it, or null when the user is gone. */
  async billingAccount(userId: string): Promise<BillingAccount | null> {
    const row = await this.subscriptions.findByUserId(userId);
    return row && accountOf(row);
  }

  /** A workspace's subscription as Billing sees it (created, free, on first use). */
  async workspaceBillingAccount(workspaceId: string): Promise<BillingAccount> {
    const row = await this.subscriptions.findOrCreateForWorkspace(workspaceId);
    if (!row) throw new NotFoundException('Workspace not found');
    return accountOf(row);
  }

  /** A workspace's subscription, or null when it never had one (or is gone). */
  async existingWorkspaceBillingAccount(workspaceId: string): Promise<BillingAccount | null> {
    const row = await this.subscriptions.findByWorkspaceId(workspaceId);
    return row && accountOf(row);
  }

  /** An account by its row id, or null when its owner is gone. */
  async accountById(id: string): Promise<BillingAccount | null> {
    const row = await this.subscriptions.findById(id);
    return row && accountOf(row);
  }

  /**
   * The account a Stripe object (subscription, invoice, checkout session) belongs to: the
   * workspace or user in its metadata (set at checkout) while it has an account, else
   * whoever holds its customer. Undefined when nobody does (an erased user, a deleted
   * workspace): such events change nothing.
   */
  async accountForStripe(owner: StripeOwner): Promise<BillingAccount | undefined> {
    const row = await resolveStripeOwner(
      owner,
      {
        byWorkspace: (id) => this.subscriptions.findByWorkspaceId(id),
        byUser: (id) => this.subscriptions.findByUserId(id),
        byCustomer: (id) => this.subscriptions.findByStripeCustomerId(id),
      },
      isUuid,
    );
    return row && accountOf(row);
  }

  /** Stores the Stripe customer unless one is already stored; returns the one that is. */
  async claimStripeCustomer(account: BillingAccount, customerId: string): Promise<string> {
    const stored = await this.subscriptions.claimCustomerId(account.id, customerId);
    await this.forgetAccount(account);
    return stored;
  }

  /**
   * Marks the account's one trial as used, once: true for the one caller that marked it, so
   * of concurrent checkouts only one offers a trial. The mark outlives the subscription.
   */
  claimTrial(account: BillingAccount, at: Date): Promise<boolean> {
    return this.subscriptions.claimTrial(account.id, at);
  }

  /** Gives the trial back when the checkout that claimed it at `at` was not opened. */
  releaseTrial(account: BillingAccount, at: Date): Promise<void> {
    return this.subscriptions.releaseTrial(account.id, at);
  }

  /**
   * A workspace trial for the user who opens the checkout: each user claims one ever (each
   * workspace is a new billing customer, so the account's own mark alone would let a user
   * take a trial per workspace they create).
   */
  claimWorkspaceTrial(userId: string, at: Date): Promise<boolean> {
    return this.subscriptions.claimWorkspaceTrial(userId, at);
  }

  releaseWorkspaceTrial(userId: string, at: Date): Promise<void> {
    return this.subscriptions.releaseWorkspaceTrial(userId, at);
  }

  /** Every account that Stripe knows about, for reconciliation. */
  async listLinkedToStripe(): Promise<BillingAccount[]> {
    return (await this.subscriptions.listLinkedToStripe()).map(accountOf);
  }

  /** What changed the account's subscription and when, newest first. */
  async timeline(account: BillingAccount): Promise<TimelineEntryDto[]> {
    const changes = await this.subscriptions.changes(account.id, TIMELINE_LIMIT);
    return changes.map(timelineEntryOf);
  }

  /** A user's own subscription's timeline, for an administrator; 404 for an unknown user. */
  async timelineOfUser(userId: string): Promise<TimelineEntryDto[]> {
    const account = await this.billingAccount(userId);
    if (!account) throw new NotFoundException('User not found');
    return this.timeline(account);
  }

  /**
   * Begins a sync with Stripe, before Stripe is asked anything: the account, and a ticket from
   * one PostgreSQL sequence shared by every instance. See applyBillingSnapshot for its use.
   */
  async startBillingSync(accountId: string): Promise<BillingSync> {
    const ticket = await this.subscriptions.nextStripeSyncTicket();
    const account = await this.accountById(accountId);
    if (!account) throw new NotFoundException('Subscription not found');
    return { account, ticket };
  }

  /**
   * Writes Stripe's state, fetched since `sync` began, in one short transaction under the row
   * lock; no call to Stripe happens while the lock is held. Syncs of one account are ordered by
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
    cause: ChangeCause,
    claim?: (manager: EntityManager) => Promise<boolean>,
  ): Promise<BillingSyncOutcome> {
    const { id } = sync.account;
    let superseded = false;
    const updated = await this.change(
      id,
      meta,
      cause,
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
        await this.subscriptions.update(manager, id, {
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
    const row = updated ?? (await this.subscriptions.findById(id));
    if (!row) throw new NotFoundException('Subscription not found');
    return {
      claimed: updated !== undefined,
      superseded,
      plan: row.plan,
      status: row.status,
      seats: row.seats,
    };
  }

  /**
   * Applies a change under the row lock, stores the entitlements it results in, records it
   * in the timeline when something the customer sees moved, drops the caches and publishes a
   * plan change when the row's plan moved. `claim` runs first in the same transaction; when
   * it returns false nothing is applied. Returns the row as changed, or undefined when
   * nothing was applied.
   */
  private async change(
    id: string,
    meta: RequestMeta,
    cause: ChangeCause,
    apply: (manager: EntityManager, current: Subscription) => Promise<PlanChangeSource>,
    claim?: (manager: EntityManager) => Promise<boolean>,
  ): Promise<Subscription | undefined> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const current = await this.subscriptions.lockById(manager, id);
      if (!current) throw new NotFoundException('Subscription not found');
      if (claim && !(await claim(manager))) return undefined;
      const previous = this.entitle(stateOf(current));
      const source = await apply(manager, current);
      const updated = (await this.subscriptions.findById(id, manager))!;
      const next = this.entitle(stateOf(updated));
      await this.subscriptions.update(manager, id, { features: { ...next } });
      const change = changeOf(current, updated, cause, this.clock.now());
      if (change) await this.subscriptions.recordChange(manager, change);
      return { before: previous, after: next, source, updated };
    });
    if (!outcome) return undefined;
    const { updated } = outcome;
    await this.forgetAccount(accountOf(updated));
    if (outcome.before.plan !== outcome.after.plan) {
      this.events.publish(DomainEvents.PlanChanged, updated.userId, meta, {
        from: outcome.before.plan,
        to: outcome.after.plan,
        ...outcome.source,
        ...(updated.workspaceId && { workspaceId: updated.workspaceId }),
      });
    }
    return updated;
  }

  /**
   * After a change: drops the cached plan sources (now and a moment later, against a read
   * that began before it) and waits for the holders of copies (the profile cache) to drop
   * theirs. Also after a change of the user's workspace memberships.
   */
  async forget(userId: string): Promise<void> {
    await evictNowAndLater(this.cache, this.key(userId));
    await this.events.publishAndWait(DomainEvents.SubscriptionChanged, userId, NO_REQUEST);
  }

  /** A membership began or ended: the member's plan sources are read again. */
  @OnEvent(DomainEvents.WorkspaceMembershipChanged, { async: true, promisify: true })
  async onMembershipChanged(
    event: DomainEvent<typeof DomainEvents.WorkspaceMembershipChanged>,
  ): Promise<void> {
    if (event.userId) await this.forget(event.userId);
  }

  /** After a change to an account: its user's cached plan, or every member's of its workspace. */
  private async forgetAccount(account: BillingAccount): Promise<void> {
    const userIds = account.userId
      ? [account.userId]
      : await this.memberships.memberIds(account.workspaceId!);
    await Promise.all(userIds.map((userId) => this.forget(userId)));
  }

  /** The source that grants the best plan now (the user's own on a tie). */
  private best(sources: PlanSources) {
    return bestOf(sources, (state) => this.entitle(state));
  }

  private entitle(state: SubscriptionState): Entitlements {
    return entitlementsOf(state, this.clock.now(), this.config.stripe.pastDueGraceDays);
  }

  private summarise(best: ReturnType<SubscriptionsService['best']>): SubscriptionSummaryDto {
    const { state, entitlements, workspaceId } = best;
    return {
      plan: entitlements.plan,
      source: entitlements.source,
      workspaceId,
      status: state.status,
      currentPeriodEnd: periodEndOf(state, entitlements),
      cancelAtPeriodEnd: state.cancelAtPeriodEnd,
      features: entitlements.features,
      limits: entitlements.limits,
    };
  }

  // v2: the entry holds the user's plan sources (own and workspaces'); older shapes are never read.
  private key(userId: string): string {
    return `subscription:v2:${userId}`;
  }
}

function accountOf(row: Subscription): BillingAccount {
  return {
    id: row.id,
    userId: row.userId,
    workspaceId: row.workspaceId,
    plan: row.plan,
    status: row.status,
    stripeCustomerId: row.stripeCustomerId,
    stripeSubscriptionId: row.stripeSubscriptionId,
    seats: row.seats,
    trialUsedAt: row.trialUsedAt,
  };
}

/** The timeline entry of a change, or null when nothing a customer sees moved. */
function changeOf(
  before: Subscription,
  after: Subscription,
  cause: ChangeCause,
  now: Date,
): SubscriptionChange | null {
  const time = (value: Date | null) => value?.toISOString() ?? null;
  const moved = {
    cancelAtPeriodEnd: before.cancelAtPeriodEnd !== after.cancelAtPeriodEnd,
    currentPeriodEnd: time(before.currentPeriodEnd) !== time(after.currentPeriodEnd),
    seats: before.seats !== after.seats,
    manualPlan: before.manualPlan !== after.manualPlan,
    manualUntil: time(before.manualUntil) !== time(after.manualUntil),
  };
  if (
    before.plan === after.plan &&
    before.status === after.status &&
    !Object.values(moved).some(Boolean)
  )
    return null;
  const detail: Record<string, unknown> = {};
  if (moved.cancelAtPeriodEnd) detail.cancelAtPeriodEnd = after.cancelAtPeriodEnd;
  if (moved.currentPeriodEnd) detail.currentPeriodEnd = time(after.currentPeriodEnd);
  if (moved.seats) detail.seats = { from: before.seats, to: after.seats };
  if (moved.manualPlan || moved.manualUntil)
    detail.manualGrant = { plan: after.manualPlan, until: time(after.manualUntil) };
  if (cause.kind === 'stripe') detail.via = cause.via;
  return {
    subscriptionId: after.id,
    occurredAt: now,
    cause: cause.kind,
    stripeEventId: cause.kind === 'stripe' ? (cause.eventId ?? null) : null,
    stripeEventType: cause.kind === 'stripe' ? (cause.eventType ?? null) : null,
    actorId: cause.kind === 'manual' ? cause.by : null,
    fromPlan: before.plan,
    toPlan: after.plan,
    fromStatus: before.status,
    toStatus: after.status,
    detail,
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
      seats: null,
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
    seats: current.workspaceId ? snapshot.quantity : null,
    currentPeriodStart: snapshot.currentPeriodStart,
    currentPeriodEnd: snapshot.currentPeriodEnd,
    cancelAtPeriodEnd: snapshot.cancelAtPeriodEnd,
  };
}

/** Dates come back from a JSON cache as strings. */
function revived(state: SubscriptionState): SubscriptionState {
  const date = (value: Date | string | null) => (value === null ? null : new Date(value));
  return {
    ...state,
    currentPeriodEnd: date(state.currentPeriodEnd),
    manualUntil: date(state.manualUntil),
  };
}

function revivedSources(sources: PlanSources): PlanSources {
  return {
    own: revived(sources.own),
    workspaces: sources.workspaces.map(({ workspaceId, state }) => ({
      workspaceId,
      state: revived(state),
    })),
  };
}

function stateOf(row: Subscription): SubscriptionState {
  return {
    plan: row.plan,
    status: row.status,
    currentPeriodEnd: row.currentPeriodEnd,
    cancelAtPeriodEnd: row.cancelAtPeriodEnd,
    manualPlan: row.manualPlan,
    manualUntil: row.manualUntil,
  };
}
