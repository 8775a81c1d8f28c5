import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsOptional } from 'class-validator';
import type { PlanFeatures, PlanLimits } from '../plan-catalogue.js';

export class SubscriptionDto {
  @ApiProperty({
    enum: ['free', 'pro', 'business'],
    description: 'The plan whose features apply now',
  })
  plan!: string;

  @ApiProperty({ enum: ['stripe', 'manual', 'free'], description: 'Where the plan comes from' })
  source!: string;

  @ApiProperty({
    example: 'active',
    description: "Stripe's status of the paid subscription ('active' when free)",
  })
  status!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  currentPeriodEnd!: Date | null;

  @ApiProperty()
  cancelAtPeriodEnd!: boolean;

  @ApiProperty({ type: 'object', additionalProperties: true })
  features!: PlanFeatures;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'null means unlimited' })
  limits!: PlanLimits;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'End of a manual grant',
  })
  manualUntil!: Date | null;
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
