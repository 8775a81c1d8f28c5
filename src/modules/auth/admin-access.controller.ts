import { Body, Controller, Param, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles, type Principal } from '../../common/auth/auth.decorators.js';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { ParseIdPipe } from '../../common/http/parse-id.pipe.js';
import { Meta } from '../../common/http/request-meta.js';
import { ApiErrorResponse } from '../../common/openapi/api-error-response.decorator.js';
import { ApiOperationGroup } from '../../common/openapi/openapi-document.js';
import { AdminUpdateUserDto, UserDto } from '../users/dto/user.dto.js';
import { AccessAdministration } from './access-administration.service.js';

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
    @Meta() meta: RequestMeta,
  ): Promise<UserDto> {
    return this.access.update(principal.id, id, body, meta);
  }
}
