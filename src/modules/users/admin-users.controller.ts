import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { Meta } from '../../common/http/request-meta.js';
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
  @ApiOkResponse({ type: AdminUserListDto })
  list(@Query() query: AdminUserQueryDto): Promise<AdminUserListDto> {
    return this.users.list(query);
  }

  @Get(':id')
  @ApiOkResponse({ type: UserDto })
  get(@Param('id', new ParseUUIDPipe({ version: '4' })) id: string): Promise<UserDto> {
    return this.users.profile(id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: UserDto })
  update(
    @CurrentUser() principal: Principal,
    @Param('id', new ParseUUIDPipe({ version: '4' })) id: string,
    @Body() body: AdminUpdateUserDto,
    @Meta() meta: RequestMeta,
  ): Promise<UserDto> {
    return this.users.updateAccess(principal.id, id, body, meta);
  }
}
