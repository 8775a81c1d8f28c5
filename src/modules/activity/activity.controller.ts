import { Body, Controller, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { Meta } from '../../common/http/request-meta.js';
import { CurrentUser, Roles, type Principal } from '../auth/decorators/auth.decorators.js';
import { ActivityService } from './activity.service.js';
import { AnalyticsService } from './analytics.service.js';
import {
  ActivityBatchDto,
  ActivityCursorQueryDto,
  ActivityEventDto,
  ActivityPageDto,
  AdminActivityQueryDto,
  AnalyticsQueryDto,
} from './dto/activity.dto.js';

const INVALID_EVENT =
  'An invalid event: a field out of its rules, an action in a server namespace (auth., user., billing., subscription., workspace., admin., system.), or text that cannot be stored (a NUL character, an unpaired surrogate)';

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
  @ApiAcceptedResponse({ description: 'Accepted and committed (durable)' })
  @ApiBadRequestResponse({ description: INVALID_EVENT })
  @ApiServiceUnavailableResponse({
    description: 'Not written (buffer full or database unavailable): retry after Retry-After',
  })
  async record(
    @CurrentUser() principal: Principal,
    @Body() body: ActivityEventDto,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    await this.activity.record(principal.id, [body], meta);
  }

  @Post('activity/batch')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ description: '{accepted}: every event committed, or none (503)' })
  @ApiBadRequestResponse({ description: `${INVALID_EVENT}; the whole batch is refused` })
  @ApiServiceUnavailableResponse({
    description: 'None written (buffer full or database unavailable): retry after Retry-After',
  })
  async recordBatch(
    @CurrentUser() principal: Principal,
    @Body() body: ActivityBatchDto,
    @Meta() meta: RequestMeta,
  ): Promise<{ accepted: number }> {
    return { accepted: await this.activity.record(principal.id, body.events, meta) };
  }

  @Get('activity/me')
  @ApiOkResponse({ type: ActivityPageDto })
  mine(
    @CurrentUser() principal: Principal,
    @Query() query: ActivityCursorQueryDto,
  ): Promise<ActivityPageDto> {
    return this.activity.page({ userId: principal.id }, query.cursor, query.limit, principal.id);
  }

  @Get('admin/analytics/overview')
  @Roles('admin')
  @ApiOkResponse({
    description:
      'users {total, new}, activeUsers {dau, wau, mau} as of `to`, planMix, signupsPerDay, topActions, for UTC days from..to',
  })
  overview(@CurrentUser() principal: Principal, @Query() query: AnalyticsQueryDto) {
    return this.analytics.overview(principal.id, query.from, query.to, query.source);
  }

  @Get('admin/activity')
  @Roles('admin')
  @ApiOkResponse({ type: ActivityPageDto })
  all(
    @CurrentUser() principal: Principal,
    @Query() query: AdminActivityQueryDto,
  ): Promise<ActivityPageDto> {
    return this.activity.page(
      {
        userId: query.userId,
        action: query.action,
        from: query.from ? new Date(query.from) : undefined,
        to: query.to ? new Date(query.to) : undefined,
      },
      query.cursor,
      query.limit,
      principal.id,
    );
  }
}
