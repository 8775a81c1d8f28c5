import {
  Column,
  CreateDateColumn,
  Entity,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import type { PlanId } from './plan-catalogue.js';
import type { SubscriptionStatus } from './subscription-status.js';

export type { PlanId, SubscriptionStatus };

@Entity({ name: 'subscriptions' })
export class Subscription {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The owner: a user, or (per-seat Business billing) a workspace; exactly one is set. */
  @Column({ name: 'user_id', type: 'uuid', unique: true, nullable: true })
  userId!: string | null;

  @Column({ name: 'workspace_id', type: 'uuid', unique: true, nullable: true })
  workspaceId!: string | null;

  /** The quantity Stripe bills (a workspace's seats); null for a user's own subscription. */
  @Column({ type: 'integer', nullable: true })
  seats!: number | null;

  @Column({ type: 'varchar', length: 50, default: 'free' })
  plan!: PlanId;

  @Column({ type: 'varchar', length: 50, default: 'active' })
  status!: SubscriptionStatus;

  @Column({ name: 'stripe_customer_id', type: 'varchar', length: 255, nullable: true })
  stripeCustomerId!: string | null;

  @Column({ name: 'stripe_subscription_id', type: 'varchar', length: 255, nullable: true })
  stripeSubscriptionId!: string | null;

  @Column({ name: 'stripe_price_id', type: 'varchar', length: 255, nullable: true })
  stripePriceId!: string | null;

  /** An administrator's grant (comp account); it outranks the Stripe state until manualUntil. */
  @Column({ name: 'manual_plan', type: 'varchar', length: 50, nullable: true })
  manualPlan!: PlanId | null;

  @Column({ name: 'manual_until', type: 'timestamptz', nullable: true })
  manualUntil!: Date | null;

  @Column({ name: 'manual_granted_by', type: 'uuid', nullable: true })
  manualGrantedBy!: string | null;

  @Column({ name: 'manual_granted_at', type: 'timestamptz', nullable: true })
  manualGrantedAt!: Date | null;

  @Column({ name: 'current_period_start', type: 'timestamptz', nullable: true })
  currentPeriodStart!: Date | null;

  @Column({ name: 'current_period_end', type: 'timestamptz', nullable: true })
  currentPeriodEnd!: Date | null;

  @Column({ name: 'cancel_at_period_end', type: 'boolean', default: false })
  cancelAtPeriodEnd!: boolean;

  /** When the billing customer was offered its one trial (see the Trials migration). */
  @Column({ name: 'trial_used_at', type: 'timestamptz', nullable: true })
  trialUsedAt!: Date | null;

  /** The ticket of the Stripe sync whose state the row holds (see StripeSyncOrder migration). */
  @Column({
    name: 'stripe_synced_seq',
    type: 'bigint',
    nullable: true,
    transformer: {
      to: (value: number | null) => value,
      from: (value: string | null) => (value === null ? null : Number(value)),
    },
  })
  stripeSyncedSeq!: number | null;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  features!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
