import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser, Roles, type Principal } from '../../common/auth/auth.decorators.js';
import { ParseIdPipe } from '../../common/http/parse-id.pipe.js';
import { ApiErrorResponse } from '../../common/openapi/api-error-response.decorator.js';
import { ApiOperationGroup } from '../../common/openapi/openapi-document.js';
import { AdminUpdateUserDto, UserDto } from '../users/dto/user.dto.js';
import { AccessAdministration } from './access-administration.service.js';
import { SessionDto } from './dto/session.dto.js';
import { SESSION_LIST_LIMIT } from './user-sessions.service.js';

/** An administrator changes who may do what: Auth's, since it ends tokens and sessions. */
@ApiTags('admin')
@ApiOperationGroup('AdminUsers')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/users')
export class AdminAccessController {
  constructor(private readonly access: AccessAdministration) {}

  @Patch(':id')
  @ApiOperation({ summary: "Change a user's role or deactivate them" })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: UserDto })
  @ApiErrorResponse(404, 'No user with this id')
  update(
    @CurrentUser() principal: Principal,
    @Param('id', ParseIdPipe) id: string,
    @Body() body: AdminUpdateUserDto,
  ): Promise<UserDto> {
    return this.access.update(principal.id, id, body);
  }

  @Get(':id/sessions')
  @ApiOperation({
    summary: "A user's live sessions",
    description: `The most recently used first, at most ${SESSION_LIST_LIMIT}; \`current\` marks the caller's own session.`,
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: SessionDto, isArray: true })
  @ApiErrorResponse(404, 'No user with this id')
  sessions(
    @CurrentUser() principal: Principal,
    @Param('id', ParseIdPipe) id: string,
  ): Promise<SessionDto[]> {
    return this.access.sessionsOf(id, principal.sessionId);
  }

  @Delete(':id/sessions')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End every session of a user' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({
    description: "The user's refresh and access tokens stop working at once, on every instance",
  })
  @ApiErrorResponse(400, 'The id is not a UUID, or it is the caller (use POST /auth/logout-all)')
  @ApiErrorResponse(404, 'No user with this id')
  endSessions(
    @CurrentUser() principal: Principal,
    @Param('id', ParseIdPipe) id: string,
  ): Promise<void> {
    return this.access.endSessions(principal.id, id);
  }
}
