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
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiExcludeEndpoint,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { CurrentUser, Public, type Principal } from '../auth/decorators/auth.decorators.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { BillingService } from './billing.service.js';
import { CheckoutDto, CheckoutSessionDto, PortalSessionDto } from './dto/billing.dto.js';
import { WebhookService, type WebhookOutcome } from './webhook.service.js';

@ApiTags('billing')
@ApiServiceUnavailableResponse({ description: 'Billing is not configured' })
@Controller('billing')
export class BillingController {
  constructor(
    private readonly billing: BillingService,
    private readonly webhooks: WebhookService,
    private readonly metrics: MetricsService,
  ) {}

  @Post('checkout')
  @ApiBearerAuth()
  @ApiCreatedResponse({ type: CheckoutSessionDto })
  checkout(
    @CurrentUser() principal: Principal,
    @Body() body: CheckoutDto,
  ): Promise<CheckoutSessionDto> {
    return this.billing.checkout(principal.id, body.plan, body.interval);
  }

  @Post('portal')
  @ApiBearerAuth()
  @ApiCreatedResponse({ type: PortalSessionDto })
  portal(@CurrentUser() principal: Principal): Promise<PortalSessionDto> {
    return this.billing.portal(principal.id);
  }

  /** Stripe's deliveries: not rate limited (Stripe retries in bursts), authenticated by signature. */
  @Public()
  @SkipThrottle()
  @Post('webhook')
  @HttpCode(HttpStatus.OK)
  @ApiExcludeEndpoint()
  @ApiBadRequestResponse({ description: 'Bad or missing signature; nothing written' })
  async webhook(
    @Req() request: RawBodyRequest<FastifyRequest>,
    @Headers('stripe-signature') signature: string | undefined,
  ): Promise<{ received: true; outcome: WebhookOutcome }> {
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
