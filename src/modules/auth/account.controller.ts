import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { Meta } from '../../common/http/request-meta.js';
import { ApiErrorResponse } from '../../common/openapi/api-error-response.decorator.js';
import { AccountExportService } from './account-export.service.js';
import { AccountService } from './account.service.js';
import { CurrentUser, type Principal } from '../../common/auth/auth.decorators.js';
import { RequiresRecentAuthentication } from '../../common/auth/recent-authentication.guard.js';
import { AccountExportDto } from './dto/account-export.dto.js';
import { ChangePasswordDto, ErasureDto } from './dto/auth.dto.js';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users/me')
export class AccountController {
  constructor(
    private readonly account: AccountService,
    private readonly exports: AccountExportService,
  ) {}

  @Post('password')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequiresRecentAuthentication({ orPasswordIn: 'currentPassword' })
  @ApiOperation({ summary: "Change the caller's password" })
  @ApiNoContentResponse({
    description: 'Password changed; other sessions and all access tokens revoked',
  })
  @ApiErrorResponse(400, 'The new password breaks the password policy')
  @ApiErrorResponse(401, 'The current password is wrong, or the access token is missing or invalid')
  @ApiErrorResponse(429, 'Too many wrong passwords for this account or address; see Retry-After')
  changePassword(
    @CurrentUser() principal: Principal,
    @Body() body: ChangePasswordDto,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.account.changePassword(principal.id, principal.sessionId, body, meta);
  }

  @Get('export')
  @ApiOperation({ summary: 'Everything held about the caller, as one JSON document' })
  @ApiOkResponse({ type: AccountExportDto })
  export(@CurrentUser() principal: Principal): Promise<AccountExportDto> {
    return this.exports.export(principal.id);
  }

  @Delete()
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequiresRecentAuthentication({ orPasswordIn: 'password' })
  @ApiOperation({ summary: "Erase the caller's account and everything tied to it" })
  @ApiNoContentResponse({ description: 'The account and everything tied to it are erased' })
  @ApiErrorResponse(400, 'The password is wrong, or the body is invalid')
  @ApiErrorResponse(
    409,
    'The caller is the only owner of a workspace that has other members: make one of them an owner first',
  )
  @ApiErrorResponse(429, 'Too many wrong passwords for this account or address; see Retry-After')
  erase(
    @CurrentUser() principal: Principal,
    @Body() body: ErasureDto,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.account.erase(principal.id, body.password, meta);
  }
}
