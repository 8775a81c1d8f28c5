import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser, type Principal } from '../../common/auth/auth.decorators.js';
import { RequiresRecentAuthentication } from '../../common/auth/recent-authentication.guard.js';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { Meta } from '../../common/http/request-meta.js';
import { ApiErrorResponse } from '../../common/openapi/api-error-response.decorator.js';
import { RouteRateLimit } from '../../common/rate-limit/route-rate-limit.js';
import { UserDto } from '../users/dto/user.dto.js';
import { AcceptedDto } from './dto/auth-response.dto.js';
import { ChangeEmailDto, EmailCodeDto } from './dto/auth.dto.js';
import { EmailChange } from './email-change.service.js';
import { EmailVerification } from './email-verification.service.js';

const QUARTER_HOUR = 900;
const DAY = 86_400;
/** Code guessing: a code dies after 5 wrong tries, and tries are limited per account and address. */
const CODE_TRIES = [
  { name: 'email-code-user', limit: 10, windowSeconds: QUARTER_HOUR, by: 'user' },
  { name: 'email-code-ip', limit: 30, windowSeconds: QUARTER_HOUR, by: 'ip' },
] as const;
/** Sending codes: each mail costs a send and may land in someone else's inbox. */
const CODE_MAILS = [
  { name: 'email-mail-user', limit: 3, windowSeconds: QUARTER_HOUR, by: 'user' },
  { name: 'email-mail-user-day', limit: 10, windowSeconds: DAY, by: 'user' },
  { name: 'email-mail-ip', limit: 30, windowSeconds: QUARTER_HOUR, by: 'ip' },
] as const;

/** Proving the account's address, and moving the account to another one. */
@ApiBearerAuth()
@Controller()
export class EmailController {
  constructor(
    private readonly verification: EmailVerification,
    private readonly change: EmailChange,
  ) {}

  @Post('auth/email/verify')
  @ApiTags('auth')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RouteRateLimit(...CODE_TRIES)
  @ApiOperation({ summary: "Verify the caller's email address with the mailed code" })
  @ApiNoContentResponse({ description: 'The address is verified' })
  @ApiErrorResponse(400, 'A wrong, expired or used code (a code dies after 5 wrong tries)')
  @ApiErrorResponse(429, 'Too many codes tried for this account or address; see Retry-After')
  verify(
    @CurrentUser() principal: Principal,
    @Body() body: EmailCodeDto,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.verification.verify(principal.id, body.code, meta);
  }

  @Post('auth/email/verify/resend')
  @ApiTags('auth')
  @HttpCode(HttpStatus.ACCEPTED)
  @RouteRateLimit(...CODE_MAILS)
  @ApiOperation({ summary: 'Mail a new verification code (the previous one stops working)' })
  @ApiAcceptedResponse({ type: AcceptedDto, description: 'Nothing is sent once verified' })
  @ApiErrorResponse(429, 'Too many codes asked for by this account or address; see Retry-After')
  async resend(@CurrentUser() principal: Principal): Promise<AcceptedDto> {
    await this.verification.resend(principal.id);
    return { message: 'If your address is not verified yet, a new code has been sent' };
  }

  @Post('users/me/email')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiTags('users')
  @RequiresRecentAuthentication({ orPasswordIn: 'password' })
  @RouteRateLimit(...CODE_MAILS, {
    // Whoever asks: an address gets at most 5 codes a day, so 25 tries at most.
    name: 'email-change-target',
    limit: 5,
    windowSeconds: DAY,
    by: 'email',
    field: 'newEmail',
  })
  @ApiOperation({ summary: 'Ask to change the email address: a code goes to the new one' })
  @ApiAcceptedResponse({
    type: AcceptedDto,
    description: 'A code was mailed to the new address and a notice to the current one',
  })
  @ApiErrorResponse(400, 'An invalid address, or the current one')
  @ApiErrorResponse(401, 'The password is wrong, or the access token is missing or invalid')
  @ApiErrorResponse(409, 'An account with this email already exists')
  @ApiErrorResponse(429, 'Too many requests or wrong passwords; see Retry-After')
  async requestChange(
    @CurrentUser() principal: Principal,
    @Body() body: ChangeEmailDto,
    @Meta() meta: RequestMeta,
  ): Promise<AcceptedDto> {
    await this.change.request(principal.id, body, meta);
    return { message: 'A code has been sent to the new address' };
  }

  @Post('users/me/email/confirm')
  @HttpCode(HttpStatus.OK)
  @ApiTags('users')
  @RouteRateLimit(...CODE_TRIES)
  @ApiOperation({ summary: 'Confirm the new email address with the code mailed to it' })
  @ApiOkResponse({
    type: UserDto,
    description: 'The profile with the new, verified address; every other session is ended',
  })
  @ApiErrorResponse(400, 'A wrong, expired or used code (a code dies after 5 wrong tries)')
  @ApiErrorResponse(409, 'The address got an account meanwhile')
  @ApiErrorResponse(429, 'Too many codes tried for this account or address; see Retry-After')
  confirmChange(
    @CurrentUser() principal: Principal,
    @Body() body: EmailCodeDto,
    @Meta() meta: RequestMeta,
  ): Promise<UserDto> {
    return this.change.confirm(principal.id, principal.sessionId, body.code, meta);
  }
}
