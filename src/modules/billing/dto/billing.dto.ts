import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { PlanChangeQueryDto } from './plan-change.dto.js';
import type { WebhookOutcome } from '../webhook.service.js';

export class CheckoutDto extends PlanChangeQueryDto {
  @ApiPropertyOptional({
    description:
      'A promotion code the user typed; checked before checkout opens (400 invalid_promotion_code)',
    pattern: '^[A-Za-z0-9_-]{1,100}$',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,100}$/, { message: 'promotionCode must be a promotion code' })
  promotionCode?: string;
}

export class CheckoutSessionDto {
  @ApiProperty({ description: "Stripe Checkout's page to send the user to" })
  url!: string;

  @ApiProperty()
  sessionId!: string;
}

export class WebhookAckDto {
  @ApiProperty({ enum: [true] })
  received!: true;

  @ApiProperty({
    enum: ['applied', 'duplicate', 'recorded'],
    description:
      'applied: the stored state changed; duplicate: seen before, nothing changed; recorded: kept without a change',
  })
  outcome!: WebhookOutcome;
}

export class PortalSessionDto {
  @ApiProperty({ description: "Stripe's customer portal page" })
  url!: string;
}
