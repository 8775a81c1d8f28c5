import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import type Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { DomainEvents, type DomainEvent } from '../../common/events/domain-events.js';
import { JobQueue } from '../../mail/job-queue.js';
import { isLiveStatus } from '../subscriptions/subscription-status.js';
import { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import { WorkspacesService } from '../workspaces/workspaces.service.js';
import { callStripe, STRIPE } from './stripe.client.js';
import { SubscriptionSyncService, type SyncResult } from './subscription-sync.service.js';

/** Durable seat updates, one waiting job per workspace (pg-boss `short` policy). */
export const SEATS_QUEUE = 'billing.workspace-seats';

interface SeatsJob {
  workspaceId: string;
}

/**
 * A workspace's Business subscription bills one seat per member: Stripe's quantity follows
 * the member count, added seats charged at once and removed ones credited. Every membership change (and every webhook or reconciliation that finds
 * another quantity) queues a job for the workspace; the job reads the member count when it
 * runs and sets the quantity with proration, so one job covers any number of changes and
 * the last one to run always writes the current count. Jobs of one workspace run one at a
 * time (a transaction-scoped advisory lock, which a transaction-mode pooler keeps), and each
 * change is sent once: the idempotency key is the workspace's seat version (bumped with
 * every membership change) and the count.
 */
@Injectable()
export class SeatBillingService implements OnModuleInit {
  private readonly logger = new Logger(SeatBillingService.name);

  constructor(
    @Inject(STRIPE) private readonly stripe: Stripe | null,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly jobs: JobQueue,
    private readonly subscriptions: SubscriptionsService,
    private readonly sync: SubscriptionSyncService,
    private readonly workspaces: WorkspacesService,
  ) {}

  onModuleInit(): void {
    if (!this.stripe) return;
    this.jobs.work<SeatsJob>(SEATS_QUEUE, ({ workspaceId }) => this.applySeats(workspaceId));
  }

  @OnEvent(DomainEvents.WorkspaceMembershipChanged, { async: true, promisify: true })
  async onMembershipChanged(
    event: DomainEvent<typeof DomainEvents.WorkspaceMembershipChanged>,
  ): Promise<void> {
    await this.request(event.metadata.workspaceId);
  }

  /** Queues a seat update for the workspace (nothing when billing is off). */
  async request(workspaceId: string): Promise<void> {
    if (!this.stripe) return;
    await this.jobs.send(SEATS_QUEUE, { workspaceId } satisfies SeatsJob, undefined, {
      singletonKey: workspaceId,
    });
    this.jobs.wake(SEATS_QUEUE);
  }

  /** After Stripe's state was applied: a live subscription billing another count is corrected. */
  async reconcileAfterSync(workspaceId: string, result: SyncResult): Promise<void> {
    if (!isLiveStatus(result.status) || result.plan === 'free') return;
    if (result.seats !== (await this.workspaces.memberCount(workspaceId)))
      await this.request(workspaceId);
  }

  /** The job: Stripe's quantity set to the member count, then the row synced from Stripe. */
  async applySeats(workspaceId: string): Promise<void> {
    const stripe = this.stripe!;
    const account = await this.subscriptions.existingWorkspaceBillingAccount(workspaceId);
    const subscriptionId = account?.stripeSubscriptionId;
    if (!account || !subscriptionId || !isLiveStatus(account.status)) return;
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [
        `workspace-seats:${workspaceId}`,
      ]);
      const [count, version] = await Promise.all([
        this.workspaces.memberCount(workspaceId),
        this.workspaces.seatsVersion(workspaceId),
      ]);
      const subscription = await callStripe(() => stripe.subscriptions.retrieve(subscriptionId));
      const item = subscription.items.data[0];
      if (!item || item.quantity === count || !isLiveStatus(subscription.status)) return;
      await callStripe(() =>
        stripe.subscriptions.update(
          subscriptionId,
          {
            items: [{ id: item.id, quantity: count }],
            // Added seats are invoiced at once (else a workspace could add members and cancel
            // at the period's end before the prorations were ever invoiced); removed seats
            // become a credit on the next invoice.
            proration_behavior:
              count > (item.quantity ?? 0) ? 'always_invoice' : 'create_prorations',
          },
          { idempotencyKey: `seats-${workspaceId}-${version}-${count}` },
        ),
      );
      this.logger.log({ msg: 'Seats updated', workspaceId, from: item.quantity, to: count });
    });
    await this.sync.sync(account.id, subscriptionId, { kind: 'stripe', via: 'seats' });
  }
}
