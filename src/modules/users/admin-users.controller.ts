import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ParseIdPipe } from '../../common/http/parse-id.pipe.js';
import { ApiErrorResponse } from '../../common/openapi/api-error-response.decorator.js';
import { Roles } from '../../common/auth/auth.decorators.js';
import { AdminUserListDto, AdminUserQueryDto, UserDto } from './dto/user.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('admin')
@ApiBearerAuth()
@Roles('admin')
/** Finding users; changing their access is Auth's (AdminAccessController, same path). */
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
  get(@Param('id', ParseIdPipe) id: string): Promise<UserDto> {
    return this.users.profile(id);
  }
}
