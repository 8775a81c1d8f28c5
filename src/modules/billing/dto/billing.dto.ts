import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import type { WebhookOutcome } from '../webhook.service.js';

export class CheckoutDto {
  @ApiProperty({ enum: ['pro', 'business'] })
  @IsIn(['pro', 'business'])
  plan!: 'pro' | 'business';

  @ApiProperty({ enum: ['month', 'year'] })
  @IsIn(['month', 'year'])
  interval!: 'month' | 'year';
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
