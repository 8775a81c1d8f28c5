import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';

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

export class PortalSessionDto {
  @ApiProperty({ description: "Stripe's customer portal page" })
  url!: string;
}
