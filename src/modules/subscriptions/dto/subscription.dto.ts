import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional } from 'class-validator';
import { METERED_FEATURES } from '../plan-catalogue.js';
import type { UsageCounter } from '../usage.service.js';
import { PlanFeaturesDto, PlanLimitsDto } from './plan.dto.js';

export class SubscriptionSummaryDto {
  @ApiProperty({
    enum: ['free', 'pro', 'business'],
    description: 'The plan whose features apply now',
  })
  plan!: string;

  @ApiProperty({
    example: 'active',
    description: "Stripe's status of the paid subscription ('active' when free)",
  })
  status!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'End of the paid period, or of a manual grant',
  })
  currentPeriodEnd!: Date | null;

  @ApiProperty()
  cancelAtPeriodEnd!: boolean;

  @ApiProperty({ type: PlanFeaturesDto, description: 'Effective features' })
  features!: PlanFeaturesDto;

  @ApiProperty({ type: PlanLimitsDto, description: 'Effective limits; null means unlimited' })
  limits!: PlanLimitsDto;

  @ApiProperty({ enum: ['stripe', 'manual', 'free'], description: 'Where the plan comes from' })
  source!: 'stripe' | 'manual' | 'free';

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description:
      "The workspace whose subscription grants the plan; null when the caller's own subscription does",
  })
  workspaceId!: string | null;
}

export class SubscriptionDto extends SubscriptionSummaryDto {
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'End of a manual grant',
  })
  manualUntil!: Date | null;
}

export class PlanAndStatusDto {
  @ApiProperty({ enum: ['free', 'pro', 'business'] })
  plan!: string;

  @ApiProperty({ example: 'active' })
  status!: string;
}

export class TimelineEntryDto {
  @ApiProperty({ type: String, format: 'date-time' })
  occurredAt!: Date;

  @ApiProperty({
    enum: ['stripe', 'admin_grant'],
    description: "Stripe's state applied (after one of its events), or an administrator's grant",
  })
  cause!: 'stripe' | 'admin_grant';

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'customer.subscription.updated',
    description: 'The Stripe event that carried the change, when one did',
  })
  stripeEventType!: string | null;

  @ApiProperty({ type: PlanAndStatusDto })
  from!: PlanAndStatusDto;

  @ApiProperty({ type: PlanAndStatusDto })
  to!: PlanAndStatusDto;

  @ApiProperty({ example: 'Plan changed from Pro to Business', description: 'For people' })
  summary!: string;
}

export class UsageCounterDto implements UsageCounter {
  @ApiProperty({ enum: Object.keys(METERED_FEATURES), description: 'The metered feature' })
  feature!: string;

  @ApiProperty({ type: 'integer', description: 'Units used in the current (UTC) day' })
  used!: number;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: "The plan's daily limit; null: unlimited",
  })
  limit!: number | null;

  @ApiProperty({ type: 'integer', nullable: true, description: 'null: unlimited' })
  remaining!: number | null;

  @ApiProperty({ type: String, format: 'date-time', description: 'When the counter starts again' })
  resetsAt!: Date;
}

export class GrantSubscriptionDto {
  @ApiProperty({ enum: ['free', 'pro', 'business'], description: "'free' removes a manual grant" })
  @IsIn(['free', 'pro', 'business'])
  plan!: 'free' | 'pro' | 'business';

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'When the grant ends; none: until removed',
  })
  @IsOptional()
  @Type(() => Date)
  @IsDate()
  currentPeriodEnd?: Date;
}
