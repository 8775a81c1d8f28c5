import { Body, Controller, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { Meta } from '../../common/http/request-meta.js';
import { ApiErrorResponse } from '../../common/openapi/api-error-response.decorator.js';
import { ReplicaReads } from '../../database/reader-context.js';
import { CurrentUser, Roles, type Principal } from '../../common/auth/auth.decorators.js';
import { ActivityService } from './activity.service.js';
import { AnalyticsService } from './analytics.service.js';
import {
  ActivityBatchAcceptedDto,
  ActivityBatchDto,
  ActivityCursorQueryDto,
  ActivityEventDto,
  ActivityPageDto,
  AdminActivityQueryDto,
  AnalyticsOverviewDto,
  AnalyticsQueryDto,
  SERVER_NAMESPACES,
} from './dto/activity.dto.js';

const INVALID_EVENT = `An invalid event: a field out of its rules, an action in a server namespace (${SERVER_NAMESPACES.join(', ')}), or text that cannot be stored (a NUL character, an unpaired surrogate)`;

@ApiTags('activity')
@ApiBearerAuth()
@Controller()
export class ActivityController {
  constructor(
    private readonly activity: ActivityService,
    private readonly analytics: AnalyticsService,
  ) {}

  @Post('activity')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Record one event of the caller' })
  @ApiAcceptedResponse({ description: 'Accepted and committed (durable); no body' })
  @ApiErrorResponse(400, INVALID_EVENT)
  @ApiErrorResponse(
    503,
    'Not written (buffer full or database unavailable): retry after Retry-After',
  )
  async record(
    @CurrentUser() principal: Principal,
    @Body() body: ActivityEventDto,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    await this.activity.record(principal.id, [body], meta);
  }

  @Post('activity/batch')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Record up to 100 events of the caller at once' })
  @ApiAcceptedResponse({
    type: ActivityBatchAcceptedDto,
    description: 'Every event committed, or none (503)',
  })
  @ApiErrorResponse(400, `${INVALID_EVENT}; the whole batch is refused`)
  @ApiErrorResponse(
    503,
    'None written (buffer full or database unavailable): retry after Retry-After',
  )
  async recordBatch(
    @CurrentUser() principal: Principal,
    @Body() body: ActivityBatchDto,
    @Meta() meta: RequestMeta,
  ): Promise<ActivityBatchAcceptedDto> {
    return { accepted: await this.activity.record(principal.id, body.events, meta) };
  }

  @Get('activity/me')
  @ReplicaReads()
  @ApiOperation({ summary: "The caller's events, newest first, a page at a time" })
  @ApiOkResponse({ type: ActivityPageDto })
  mine(
    @CurrentUser() principal: Principal,
    @Query() query: ActivityCursorQueryDto,
  ): Promise<ActivityPageDto> {
    return this.activity.page({ userId: principal.id }, query.cursor, query.limit);
  }

  @Get('admin/analytics/overview')
  @Roles('admin')
  @ReplicaReads()
  @ApiOperation({ summary: 'Users, active users, plan mix, signups and top actions over UTC days' })
  @ApiOkResponse({ type: AnalyticsOverviewDto })
  @ApiErrorResponse(400, 'A date is invalid, from is after to, or the range spans over 366 days')
  overview(@Query() query: AnalyticsQueryDto): Promise<AnalyticsOverviewDto> {
    return this.analytics.overview(query.from, query.to, query.source);
  }

  @Get('admin/activity')
  @Roles('admin')
  @ReplicaReads()
  @ApiOperation({ summary: "Everyone's events, filtered, newest first, a page at a time" })
  @ApiOkResponse({ type: ActivityPageDto })
  all(@Query() query: AdminActivityQueryDto): Promise<ActivityPageDto> {
    return this.activity.page(
      {
        userId: query.userId,
        action: query.action,
        from: query.from ? new Date(query.from) : undefined,
        to: query.to ? new Date(query.to) : undefined,
      },
      query.cursor,
      query.limit,
    );
  }
}
