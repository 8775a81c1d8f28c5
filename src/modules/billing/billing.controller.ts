import {
  Body,
  Controller,
  Headers,
  HttpCode,
  HttpException,
  HttpStatus,
  Post,
  Req,
} from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { ApiErrorResponse } from '../../common/openapi/api-error-response.decorator.js';
import { CurrentUser, Public, type Principal } from '../../common/auth/auth.decorators.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { BillingService } from './billing.service.js';
import {
  CheckoutDto,
  CheckoutSessionDto,
  PortalSessionDto,
  WebhookAckDto,
} from './dto/billing.dto.js';
import { WebhookService } from './webhook.service.js';

@ApiTags('billing')
@ApiErrorResponse(
  503,
  'Billing is not configured, the database or Stripe cannot be reached, or the instance is shutting down',
)
@Controller('billing')
export class BillingController {
  constructor(
    private readonly billing: BillingService,
    private readonly webhooks: WebhookService,
    private readonly metrics: MetricsService,
  ) {}

  @Post('checkout')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Open a Stripe Checkout session for a paid plan' })
  @ApiCreatedResponse({ type: CheckoutSessionDto })
  @ApiErrorResponse(400, 'An invalid plan or interval, or one that is not on sale')
  @ApiErrorResponse(409, 'The caller already has a paid subscription: use the portal')
  checkout(
    @CurrentUser() principal: Principal,
    @Body() body: CheckoutDto,
  ): Promise<CheckoutSessionDto> {
    return this.billing.checkout(principal.id, body.plan, body.interval);
  }

  @Post('portal')
  @ApiBearerAuth()
  @ApiOperation({ summary: "Open Stripe's customer portal for the caller" })
  @ApiCreatedResponse({ type: PortalSessionDto })
  @ApiErrorResponse(400, 'No billing account yet: subscribe first')
  portal(@CurrentUser() principal: Principal): Promise<PortalSessionDto> {
    return this.billing.portal(principal.id);
  }

  /** Stripe's deliveries: not rate limited (Stripe retries in bursts), authenticated by signature. */
  @Public()
  @SkipThrottle()
  @Post('webhook')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: "Stripe's event deliveries (signed)",
    description:
      'Called by Stripe only. The raw body must be exactly what Stripe signed: its Stripe-Signature header is checked against STRIPE_WEBHOOK_SECRET before anything is read.',
  })
  @ApiSecurity('stripeSignature')
  @ApiBody({
    description: 'A Stripe event, as Stripe sent it',
    schema: { type: 'object', additionalProperties: true },
  })
  @ApiOkResponse({ type: WebhookAckDto })
  @ApiErrorResponse(400, 'Bad or missing signature; nothing written')
  async webhook(
    @Req() request: RawBodyRequest<FastifyRequest>,
    @Headers('stripe-signature') signature: string | undefined,
  ): Promise<WebhookAckDto> {
    try {
      const outcome = await this.webhooks.handle(request.rawBody, signature);
      this.metrics.webhooks.inc({ outcome });
      return { received: true, outcome };
    } catch (error) {
      const status = error instanceof HttpException ? error.getStatus() : 500;
      this.metrics.webhooks.inc({ outcome: status < 500 ? 'rejected' : 'failed' });
      throw error;
    }
  }
}
