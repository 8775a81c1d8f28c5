import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type Principal } from '../../common/auth/auth.decorators.js';
import { UpdateProfileDto, UserDto } from './dto/user.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users/me')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: "The caller's profile with the subscription in force" })
  @ApiOkResponse({ type: UserDto })
  me(@CurrentUser() principal: Principal): Promise<UserDto> {
    return this.users.profile(principal.id);
  }

  @Patch()
  @ApiOperation({ summary: "Change the caller's name" })
  @ApiOkResponse({ type: UserDto })
  update(@CurrentUser() principal: Principal, @Body() body: UpdateProfileDto): Promise<UserDto> {
    return this.users.rename(principal.id, body.name);
  }
}
