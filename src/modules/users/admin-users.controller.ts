import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { Meta } from '../../common/http/request-meta.js';
import { ApiErrorResponse } from '../../common/openapi/api-error-response.decorator.js';
import { CurrentUser, Roles, type Principal } from '../auth/decorators/auth.decorators.js';
import {
  AdminUpdateUserDto,
  AdminUserListDto,
  AdminUserQueryDto,
  UserDto,
} from './dto/user.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
@Controller('admin/users')
export class AdminUsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'Find users by email or name, role and plan, a page at a time' })
  @ApiOkResponse({ type: AdminUserListDto })
  list(@Query() query: AdminUserQueryDto): Promise<AdminUserListDto> {
    return this.users.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One user with their subscription' })
  @ApiOkResponse({ type: UserDto })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiErrorResponse(404, 'No user with this id')
  get(@Param('id', new ParseUUIDPipe({ version: '4' })) id: string): Promise<UserDto> {
    return this.users.profile(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: "Change a user's role or deactivate them" })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: UserDto })
  @ApiErrorResponse(404, 'No user with this id')
  update(
    @CurrentUser() principal: Principal,
    @Param('id', new ParseUUIDPipe({ version: '4' })) id: string,
    @Body() body: AdminUpdateUserDto,
    @Meta() meta: RequestMeta,
  ): Promise<UserDto> {
    return this.users.updateAccess(principal.id, id, body, meta);
  }
}
