import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ParseIdPipe } from '../../common/http/parse-id.pipe.js';
import { ApiErrorResponse } from '../../common/openapi/api-error-response.decorator.js';
import { CurrentUser, Roles, type Principal } from '../../common/auth/auth.decorators.js';
import {
  GrantSubscriptionDto,
  SubscriptionDto,
  TimelineEntryDto,
  UsageCounterDto,
} from './dto/subscription.dto.js';
import { METERED_FEATURES } from './plan-catalogue.js';
import { SubscriptionsService } from './subscriptions.service.js';
import { UsageService } from './usage.service.js';

@ApiTags('subscriptions')
@ApiBearerAuth()
@Controller()
export class SubscriptionsController {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly usage: UsageService,
  ) {}

  @Get('subscriptions/me')
  @ApiOperation({ summary: "The caller's subscription with effective features and limits" })
  @ApiOkResponse({ type: SubscriptionDto })
  me(@CurrentUser() principal: Principal): Promise<SubscriptionDto> {
    return this.subscriptions.me(principal.id);
  }

  @Get('usage')
  @ApiOperation({ summary: "The caller's metered counters for the current (UTC) day" })
  @ApiOkResponse({ type: UsageCounterDto, isArray: true })
  listUsage(@CurrentUser() principal: Principal): Promise<UsageCounterDto[]> {
    return this.usage.list(principal.id);
  }

  @Post('usage/:feature')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Consume one unit of a metered feature' })
  @ApiParam({ name: 'feature', enum: Object.keys(METERED_FEATURES) })
  @ApiOkResponse({ type: UsageCounterDto, description: 'One unit consumed; the counter after it' })
  @ApiErrorResponse(402, 'error "quota_exceeded": the plan\'s daily limit is reached')
  @ApiErrorResponse(403, 'error "feature_not_in_plan": the plan does not include the feature')
  @ApiErrorResponse(404, 'Not a metered feature')
  consume(
    @CurrentUser() principal: Principal,
    @Param('feature') feature: string,
  ): Promise<UsageCounterDto> {
    return this.usage.consume(principal.id, feature);
  }

  @Put('admin/users/:id/subscription')
  @Roles('admin')
  @ApiOperation({ summary: "Grant a plan to a user by hand (or remove a grant with 'free')" })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiErrorResponse(404, 'No user with this id')
  @ApiOkResponse({
    type: SubscriptionDto,
    description: 'A manual grant; a later Stripe event does not undo it',
  })
  grant(
    @CurrentUser() principal: Principal,
    @Param('id', ParseIdPipe) id: string,
    @Body() body: GrantSubscriptionDto,
  ): Promise<SubscriptionDto> {
    return this.subscriptions.grant(principal.id, id, body.plan, body.currentPeriodEnd);
  }

  @Get('admin/users/:id/subscription/timeline')
  @Roles('admin')
  @ApiOperation({
    summary: "What changed a user's own subscription and when",
    description:
      "The newest 100 changes, newest first: Stripe's state applied after its events, checkouts, in-app changes and administrators' grants (a workspace's subscription is not included).",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: TimelineEntryDto, isArray: true })
  @ApiErrorResponse(404, 'No user with this id')
  timeline(@Param('id', ParseIdPipe) id: string): Promise<TimelineEntryDto[]> {
    return this.subscriptions.timelineOfUser(id);
  }
}
