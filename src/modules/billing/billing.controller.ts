import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpException,
  HttpStatus,
  Post,
  Query,
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
import type { RequestMeta } from '../../common/events/domain-events.js';
import { Meta } from '../../common/http/request-meta.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { BillingService } from './billing.service.js';
import { BillingScopeQueryDto } from './dto/billing-scope.dto.js';
import {
  CheckoutDto,
  CheckoutSessionDto,
  PortalSessionDto,
  WebhookAckDto,
} from './dto/billing.dto.js';
import { InvoiceDto, InvoicesQueryDto } from './dto/invoice.dto.js';
import {
  BillingSubscriptionDto,
  ChangePlanDto,
  PlanChangePreviewDto,
  PlanChangeQueryDto,
} from './dto/plan-change.dto.js';
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
  @ApiErrorResponse(
    400,
    'An invalid plan or interval, or one that is not on sale; error "invalid_promotion_code": the promotion code is unknown, inactive, expired or not usable for this plan (nothing is created at Stripe)',
  )
  @ApiErrorResponse(403, 'error "email_not_verified": verify the email address first')
  @ApiErrorResponse(404, 'No such workspace (or not one whose billing the caller manages)')
  @ApiErrorResponse(409, 'The caller already has a paid subscription: use the portal')
  checkout(
    @CurrentUser() principal: Principal,
    @Body() body: CheckoutDto,
  ): Promise<CheckoutSessionDto> {
    return this.billing.checkout(principal.id, body);
  }

  @Post('change')
  @HttpCode(HttpStatus.OK)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Change the plan or interval of the paid subscription, in the app',
    description:
      "An upgrade applies at once and its prorated difference is charged at once (send the preview's prorationDate to be charged exactly the previewed amount). A downgrade applies at the end of the paid period (pendingChange) unless STRIPE_DOWNGRADE_AT_PERIOD_END is false; choosing the current plan again cancels a pending downgrade. To cancel, use the customer portal.",
  })
  @ApiOkResponse({ type: BillingSubscriptionDto, description: 'The subscription after the change' })
  @ApiErrorResponse(
    400,
    'An invalid plan or interval (free is not one: cancel in the portal), one not on sale, or a prorationDate that is not from a recent preview',
  )
  @ApiErrorResponse(403, 'error "email_not_verified": verify the email address first')
  @ApiErrorResponse(404, 'No such workspace (or not one whose billing the caller manages)')
  @ApiErrorResponse(
    409,
    'error "no_subscription": no paid subscription to change (use checkout); error "plan_unchanged": already on this plan and interval',
  )
  change(
    @CurrentUser() principal: Principal,
    @Body() body: ChangePlanDto,
    @Meta() meta: RequestMeta,
  ): Promise<BillingSubscriptionDto> {
    return this.billing.changePlan(principal.id, body, meta);
  }

  @Get('change/preview')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'What a plan change would charge now and at the next renewal',
    description:
      "From Stripe's invoice preview, prorated at prorationDate: POST /billing/change with the same prorationDate charges the amount shown.",
  })
  @ApiOkResponse({ type: PlanChangePreviewDto })
  @ApiErrorResponse(
    400,
    'An invalid plan or interval, one that is not on sale, or for a workspace another plan than business',
  )
  @ApiErrorResponse(404, 'No such workspace (or not one whose billing the caller manages)')
  @ApiErrorResponse(
    409,
    'error "no_subscription": no paid subscription to change (use checkout); error "plan_unchanged": already on this plan and interval',
  )
  previewChange(
    @CurrentUser() principal: Principal,
    @Query() query: PlanChangeQueryDto,
  ): Promise<PlanChangePreviewDto> {
    return this.billing.previewPlanChange(principal.id, query);
  }

  @Get('invoices')
  @ApiBearerAuth()
  @ApiOperation({
    summary: "The billing account's invoices, newest first",
    description:
      'As Stripe lists them (drafts included), at most `limit` (default 24). Served from a cache for up to a minute; a Stripe webhook about the customer drops it. No billing account yet: an empty list.',
  })
  @ApiOkResponse({ type: InvoiceDto, isArray: true })
  @ApiErrorResponse(404, 'No such workspace (or not one whose billing the caller manages)')
  invoices(
    @CurrentUser() principal: Principal,
    @Query() query: InvoicesQueryDto,
  ): Promise<InvoiceDto[]> {
    return this.billing.invoices(principal.id, query);
  }

  @Post('portal')
  @ApiBearerAuth()
  @ApiOperation({
    summary: "Open Stripe's customer portal for the caller, or for a workspace they manage",
    description: "The body is optional: without a workspaceId, the caller's own billing.",
  })
  @ApiCreatedResponse({ type: PortalSessionDto })
  @ApiErrorResponse(400, 'No billing account yet: subscribe first')
  @ApiErrorResponse(403, 'A member of the workspace who is neither its owner nor an admin')
  @ApiErrorResponse(404, 'No such workspace (or not one whose billing the caller manages)')
  portal(
    @CurrentUser() principal: Principal,
    @Body() body: BillingScopeQueryDto,
  ): Promise<PortalSessionDto> {
    return this.billing.portal(principal.id, body.workspaceId);
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
