import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Put,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPaymentRequiredResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { Meta } from '../../common/http/request-meta.js';
import { CurrentUser, Roles, type Principal } from '../auth/decorators/auth.decorators.js';
import { GrantSubscriptionDto, SubscriptionDto } from './dto/subscription.dto.js';
import { SubscriptionsService } from './subscriptions.service.js';
import { UsageService, type UsageCounter } from './usage.service.js';

@ApiTags('subscriptions')
@ApiBearerAuth()
@Controller()
export class SubscriptionsController {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly usage: UsageService,
  ) {}

  @Get('subscriptions/me')
  @ApiOkResponse({ type: SubscriptionDto })
  me(@CurrentUser() principal: Principal): Promise<SubscriptionDto> {
    return this.subscriptions.me(principal.id);
  }

  @Get('usage')
  @ApiOkResponse({
    description: "The caller's metered counters: {feature, used, limit, remaining, resetsAt}[]",
  })
  listUsage(@CurrentUser() principal: Principal): Promise<UsageCounter[]> {
    return this.usage.list(principal.id);
  }

  @Post('usage/:feature')
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ description: 'One unit consumed; the counter after it' })
  @ApiPaymentRequiredResponse({
    description: '{error: "quota_exceeded"}: the plan\'s limit is reached',
  })
  @ApiForbiddenResponse({ description: '{error: "feature_not_in_plan"}' })
  @ApiNotFoundResponse({ description: 'Not a metered feature' })
  consume(
    @CurrentUser() principal: Principal,
    @Param('feature') feature: string,
  ): Promise<UsageCounter> {
    return this.usage.consume(principal.id, feature);
  }

  @Put('admin/users/:id/subscription')
  @Roles('admin')
  @ApiOkResponse({
    type: SubscriptionDto,
    description: 'A manual grant; a later Stripe event does not undo it',
  })
  grant(
    @CurrentUser() principal: Principal,
    @Param('id', new ParseUUIDPipe({ version: '4' })) id: string,
    @Body() body: GrantSubscriptionDto,
    @Meta() meta: RequestMeta,
  ): Promise<SubscriptionDto> {
    return this.subscriptions.grant(principal.id, id, body.plan, body.currentPeriodEnd, meta);
  }
}
