import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Min } from 'class-validator';
import { BillingScopeQueryDto } from './billing-scope.dto.js';
import { SubscriptionDto } from '../../subscriptions/dto/subscription.dto.js';

/**
 * A paid plan and interval, for the caller's or a workspace's billing (a workspace's is
 * Business only). Free is not one: cancel in the customer portal.
 */
export class PlanChangeQueryDto extends BillingScopeQueryDto {
  @ApiProperty({ enum: ['pro', 'business'] })
  @IsIn(['pro', 'business'])
  plan!: 'pro' | 'business';

  @ApiProperty({ enum: ['month', 'year'] })
  @IsIn(['month', 'year'])
  interval!: 'month' | 'year';
}

export class ChangePlanDto extends PlanChangeQueryDto {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    description:
      "The preview's prorationDate (Unix seconds, at most an hour old): the change is then prorated exactly as previewed. Without it, the moment of the change.",
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  prorationDate?: number;
}

export class PendingChangeDto {
  @ApiProperty({ enum: ['pro', 'business'] })
  plan!: string;

  @ApiProperty({ enum: ['month', 'year'] })
  interval!: string;

  @ApiProperty({ type: String, format: 'date-time', description: 'When the change applies' })
  effectiveAt!: Date;
}

export class BillingSubscriptionDto extends SubscriptionDto {
  @ApiProperty({
    type: PendingChangeDto,
    nullable: true,
    description: 'A downgrade waiting for the end of the paid period',
  })
  pendingChange!: PendingChangeDto | null;
}

export class PreviewLineDto {
  @ApiProperty({ type: String, nullable: true })
  description!: string | null;

  @ApiProperty({
    type: 'integer',
    description: 'In the smallest currency unit; negative: a credit',
  })
  amount!: number;

  @ApiProperty({ description: 'A prorated part of a period' })
  proration!: boolean;

  @ApiProperty({ type: String, format: 'date-time' })
  periodStart!: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  periodEnd!: Date;
}

export class PlanChangePreviewDto {
  @ApiProperty({
    type: 'integer',
    description: 'Charged when the change is made (smallest currency unit)',
  })
  amountDueNow!: number;

  @ApiProperty({
    type: 'integer',
    description: 'The first renewal after the change (for an upgrade: the list price per period)',
  })
  nextRenewalAmount!: number;

  @ApiProperty({ example: 'usd' })
  currency!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  nextRenewalAt!: Date;

  @ApiProperty({
    type: 'integer',
    description: 'Unix seconds the amounts are prorated at: send it with the change',
  })
  prorationDate!: number;

  @ApiProperty({
    enum: ['upgrade', 'downgrade'],
    description: 'An upgrade applies at once; a downgrade may wait for the period end',
  })
  kind!: 'upgrade' | 'downgrade';

  @ApiProperty({ description: 'true when the change waits for the end of the paid period' })
  atPeriodEnd!: boolean;

  @ApiProperty({ type: PreviewLineDto, isArray: true, description: "The preview invoice's lines" })
  lines!: PreviewLineDto[];
}
