import { Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser, type Principal } from '../../common/auth/auth.decorators.js';
import { RequiresRecentAuthentication } from '../../common/auth/recent-authentication.guard.js';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { ParseIdPipe } from '../../common/http/parse-id.pipe.js';
import { Meta } from '../../common/http/request-meta.js';
import { ApiErrorResponse } from '../../common/openapi/api-error-response.decorator.js';
import { SessionDto } from './dto/session.dto.js';
import { SESSION_LIST_LIMIT, UserSessionsService } from './user-sessions.service.js';

@ApiTags('auth')
@ApiBearerAuth()
@Controller('auth/sessions')
export class SessionsController {
  constructor(private readonly sessions: UserSessionsService) {}

  @Get()
  @ApiOperation({
    summary: "The caller's live sessions",
    description: `The caller's own session first, then the most recently used; at most ${SESSION_LIST_LIMIT}.`,
  })
  @ApiOkResponse({ type: SessionDto, isArray: true })
  list(@CurrentUser() principal: Principal): Promise<SessionDto[]> {
    return this.sessions.list(principal);
  }

  @Post('revoke-others')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequiresRecentAuthentication()
  @ApiOperation({ summary: 'End every session of the caller but the current one' })
  @ApiNoContentResponse({
    description: "The other sessions' refresh and access tokens stop working at once",
  })
  revokeOthers(@CurrentUser() principal: Principal, @Meta() meta: RequestMeta): Promise<void> {
    return this.sessions.endOthers(principal, meta);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: "End one of the caller's sessions (the current one included)" })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({
    description: "The session's refresh and access tokens stop working at once",
  })
  @ApiErrorResponse(
    403,
    'error "reauthentication_required": ending a session other than the current one needs an authentication within STEP_UP_MAX_AGE_SECONDS; renew it with POST /api/v1/auth/reauthenticate',
  )
  @ApiErrorResponse(404, 'No live session of the caller has this id')
  end(
    @CurrentUser() principal: Principal,
    @Param('id', ParseIdPipe) id: string,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.sessions.end(principal, id, meta);
  }
}
