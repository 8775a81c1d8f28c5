import { ApiProperty } from '@nestjs/swagger';
import type { PlanFeatures, PlanLimits } from '../plan-catalogue.js';

export class PlanFeaturesDto implements PlanFeatures {
  @ApiProperty({ example: true })
  ai_insights!: boolean;

  @ApiProperty({ example: true })
  advanced_charts!: boolean;

  @ApiProperty({ type: String, isArray: true, example: ['csv', 'xlsx', 'pdf'] })
  export_formats!: string[];

  @ApiProperty({ example: false })
  priority_support!: boolean;
}

/** Each limit: null means unlimited. */
export class PlanLimitsDto implements PlanLimits {
  @ApiProperty({ type: 'integer', nullable: true, example: 200, description: 'null: unlimited' })
  analyses_per_day!: number | null;

  @ApiProperty({ type: 'integer', nullable: true, example: 100, description: 'null: unlimited' })
  ai_queries_per_day!: number | null;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 1_000_000,
    description: 'null: unlimited',
  })
  max_rows_per_file!: number | null;

  @ApiProperty({ type: 'integer', nullable: true, example: 25, description: 'null: unlimited' })
  saved_dashboards!: number | null;
}

export class PlanPriceDto {
  @ApiProperty({
    type: 'integer',
    example: 1200,
    description: 'Amount in the smallest currency unit',
  })
  amount!: number;

  @ApiProperty({ example: 'usd' })
  currency!: string;

  @ApiProperty({ description: 'Whether checkout is open for this interval' })
  available!: boolean;
}

export class PlanPricesDto {
  @ApiProperty({ type: PlanPriceDto })
  month!: PlanPriceDto;

  @ApiProperty({ type: PlanPriceDto })
  year!: PlanPriceDto;
}

export class PlanDto {
  @ApiProperty({ enum: ['free', 'pro', 'business'] })
  id!: string;

  @ApiProperty({ example: 'Pro' })
  name!: string;

  @ApiProperty({ type: PlanFeaturesDto })
  features!: PlanFeaturesDto;

  @ApiProperty({ type: PlanLimitsDto })
  limits!: PlanLimitsDto;

  @ApiProperty({ type: PlanPricesDto })
  prices!: PlanPricesDto;
}
