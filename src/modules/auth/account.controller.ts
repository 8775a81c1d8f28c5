import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { Meta } from '../../common/http/request-meta.js';
import { AccountService, type AccountExport } from './account.service.js';
import { CurrentUser, type Principal } from './decorators/auth.decorators.js';
import { ChangePasswordDto, ErasureDto } from './dto/auth.dto.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users/me')
export class AccountController {
  constructor(private readonly account: AccountService) {}

  @Post('password')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({
    description: 'Password changed; other sessions and all access tokens revoked',
  })
  @ApiBadRequestResponse({ description: 'The new password breaks the password policy' })
  @ApiUnauthorizedResponse({
    description: 'The current password is wrong, or the access token is missing or invalid',
  })
  @ApiTooManyRequestsResponse({
    description: 'Too many wrong passwords for this account or address; see Retry-After',
  })
  changePassword(
    @CurrentUser() principal: Principal,
    @Body() body: ChangePasswordDto,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.account.changePassword(principal.id, principal.sessionId, body, meta);
  }

  @Get('export')
  @ApiOkResponse({ description: 'Everything held about the caller, as one JSON document' })
  export(@CurrentUser() principal: Principal): Promise<AccountExport> {
    return this.account.export(principal.id);
  }

  @Delete()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'The account and everything tied to it are erased' })
  erase(
    @CurrentUser() principal: Principal,
    @Body() body: ErasureDto,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.account.erase(principal.id, body.password, meta);
  }
}
