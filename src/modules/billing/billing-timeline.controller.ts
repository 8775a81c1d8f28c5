import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type Principal } from '../../common/auth/auth.decorators.js';
import { ApiErrorResponse } from '../../common/openapi/api-error-response.decorator.js';
import { TimelineEntryDto } from '../subscriptions/dto/subscription.dto.js';
import { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import { BillingAccountsService } from './billing-accounts.service.js';
import { BillingScopeQueryDto } from './dto/billing-scope.dto.js';

@ApiTags('billing')
@ApiBearerAuth()
@Controller('billing')
export class BillingTimelineController {
  constructor(
    private readonly accounts: BillingAccountsService,
    private readonly subscriptions: SubscriptionsService,
  ) {}

  @Get('timeline')
  @ApiOperation({
    summary: 'What changed the subscription and when',
    description:
      "The newest 100 changes of the caller's (or a workspace's) subscription, newest first: Stripe's state applied after its events, checkouts, in-app changes and seat updates, and administrators' grants.",
  })
  @ApiOkResponse({ type: TimelineEntryDto, isArray: true })
  @ApiErrorResponse(400, 'A workspaceId that is not a UUID, or an unknown query field')
  @ApiErrorResponse(403, 'A member of the workspace who is neither its owner nor an admin')
  @ApiErrorResponse(404, 'No such workspace, or the caller is not a member')
  async timeline(
    @CurrentUser() principal: Principal,
    @Query() query: BillingScopeQueryDto,
  ): Promise<TimelineEntryDto[]> {
    return this.subscriptions.timeline(
      await this.accounts.forCaller(principal.id, query.workspaceId),
    );
  }
}
