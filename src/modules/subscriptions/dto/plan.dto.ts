import { ApiProperty } from '@nestjs/swagger';
import type { PlanFeatures, PlanLimits } from '../plan-catalogue.js';

export class PlanPriceDto {
  @ApiProperty({ example: 1200, description: 'Amount in the smallest currency unit' })
  amount!: number;

  @ApiProperty({ example: 'usd' })
  currency!: string;

  @ApiProperty({ description: 'Whether checkout is open for this interval' })
  available!: boolean;
}

export class PlanDto {
  @ApiProperty({ enum: ['free', 'pro', 'business'] })
  id!: string;

  @ApiProperty({ example: 'Pro' })
  name!: string;

  @ApiProperty({
    example: {
      ai_insights: true,
      advanced_charts: true,
      export_formats: ['csv'],
      priority_support: false,
    },
  })
  features!: PlanFeatures;

  @ApiProperty({
    example: { analyses_per_day: 200, max_rows_per_file: 1000000, saved_dashboards: 25 },
    description: 'null means unlimited',
  })
  limits!: PlanLimits;

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/PlanPriceDto' },
  })
  prices!: { month: PlanPriceDto; year: PlanPriceDto };
}
