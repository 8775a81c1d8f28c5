import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser, Public, type Principal } from '../../../common/auth/auth.decorators.js';
import { RequiresRecentAuthentication } from '../../../common/auth/recent-authentication.guard.js';
import type { RequestMeta } from '../../../common/events/domain-events.js';
import { Meta } from '../../../common/http/request-meta.js';
import { ApiErrorResponse } from '../../../common/openapi/api-error-response.decorator.js';
import { RouteRateLimit } from '../../../common/rate-limit/route-rate-limit.js';
import { AuthResponseDto } from '../dto/auth-response.dto.js';
import {
  MfaStatusDto,
  MfaVerifyDto,
  RecoveryCodesDto,
  TotpCodeDto,
  TotpSetupDto,
} from '../dto/mfa.dto.js';
import { MfaSignIn } from './mfa-sign-in.service.js';
import { RequiresSecondFactorWhenEnrolled } from './second-factor-session.guard.js';
import { TotpFactor } from './totp-factor.service.js';

const QUARTER_HOUR = 900;

/** Two-step verification: the authenticator app, its recovery codes, and sign-in's second step. */
@ApiTags('auth')
@Controller('auth/mfa')
export class MfaController {
  constructor(
    private readonly totp: TotpFactor,
    private readonly signIn: MfaSignIn,
  ) {}

  @Get()
  @ApiBearerAuth()
  @ApiOperation({ summary: "The caller's two-step verification: on or off, recovery codes left" })
  @ApiOkResponse({ type: MfaStatusDto })
  status(@CurrentUser() principal: Principal): Promise<MfaStatusDto> {
    return this.totp.status(principal.id);
  }

  @Post('totp/setup')
  @HttpCode(HttpStatus.OK)
  @ApiBearerAuth()
  @RequiresRecentAuthentication()
  @RouteRateLimit({ name: 'totp-setup', limit: 10, windowSeconds: QUARTER_HOUR, by: 'user' })
  @ApiOperation({
    summary: 'Start setting up an authenticator app',
    description:
      'Returns a new secret and its otpauth:// URL; nothing changes for sign-in until a code of it is confirmed. A new setup replaces one not yet confirmed.',
  })
  @ApiOkResponse({ type: TotpSetupDto })
  @ApiErrorResponse(409, 'Two-step verification is already on (turn it off first)')
  @ApiErrorResponse(429, 'Too many setups for this account; see Retry-After')
  setup(@CurrentUser() principal: Principal): Promise<TotpSetupDto> {
    return this.totp.setup(principal.id);
  }

  @Post('totp/confirm')
  @HttpCode(HttpStatus.OK)
  @ApiBearerAuth()
  @RouteRateLimit({ name: 'totp-confirm', limit: 10, windowSeconds: QUARTER_HOUR, by: 'user' })
  @ApiOperation({
    summary: 'Turn two-step verification on with a code from the new authenticator',
    description:
      "Answers the ten recovery codes: shown this once, stored only hashed. The account's other sessions are ended (they never used the new factor).",
  })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiErrorResponse(400, 'A wrong code, or no authenticator being set up (nothing is changed)')
  @ApiErrorResponse(409, 'Two-step verification is already on')
  @ApiErrorResponse(429, 'Too many codes tried for this account; see Retry-After')
  async confirm(
    @CurrentUser() principal: Principal,
    @Body() body: TotpCodeDto,
    @Meta() meta: RequestMeta,
  ): Promise<RecoveryCodesDto> {
    return { recoveryCodes: await this.totp.confirm(principal, body.code, meta) };
  }

  @Delete('totp')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth()
  @RequiresRecentAuthentication()
  @RequiresSecondFactorWhenEnrolled()
  @ApiOperation({ summary: 'Turn two-step verification off (the recovery codes go with it)' })
  @ApiNoContentResponse({ description: 'Sign-in no longer asks for a code' })
  @ApiErrorResponse(404, 'Two-step verification is not on')
  disable(@CurrentUser() principal: Principal, @Meta() meta: RequestMeta): Promise<void> {
    return this.totp.disable(principal.id, meta);
  }

  @Post('recovery-codes')
  @HttpCode(HttpStatus.OK)
  @ApiBearerAuth()
  @RequiresRecentAuthentication()
  @RequiresSecondFactorWhenEnrolled()
  @ApiOperation({ summary: 'Make a new set of recovery codes (the old set stops working)' })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiErrorResponse(409, 'Two-step verification is not on')
  async regenerate(
    @CurrentUser() principal: Principal,
    @Meta() meta: RequestMeta,
  ): Promise<RecoveryCodesDto> {
    return { recoveryCodes: await this.totp.regenerateRecoveryCodes(principal.id, meta) };
  }

  @Public()
  @Post('verify')
  @HttpCode(HttpStatus.OK)
  @RouteRateLimit({ name: 'mfa-verify', limit: 60, windowSeconds: QUARTER_HOUR, by: 'ip' })
  @ApiOperation({
    summary:
      'Finish a sign-in with the second factor: the mfaToken and exactly one of code, recoveryCode or webauthn',
  })
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiErrorResponse(400, 'Not exactly one factor, or an invalid field')
  @ApiErrorResponse(
    401,
    'A wrong code (counted toward the sign-in lock), or an mfaToken that is unknown, used, expired, ended by 5 wrong codes or from another client',
  )
  @ApiErrorResponse(429, 'Too many failed attempts for this account or address; see Retry-After')
  verify(@Body() body: MfaVerifyDto, @Meta() meta: RequestMeta): Promise<AuthResponseDto> {
    return this.signIn.verify(body, meta);
  }
}
