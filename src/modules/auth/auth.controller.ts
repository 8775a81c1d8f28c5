import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { Meta } from '../../common/http/request-meta.js';
import { ApiErrorResponse } from '../../common/openapi/api-error-response.decorator.js';
import { RouteRateLimit } from '../../common/rate-limit/route-rate-limit.js';
import { CurrentUser, Public, type Principal } from '../../common/auth/auth.decorators.js';
import {
  AcceptedDto,
  AuthResponseDto,
  MfaRequiredDto,
  TokenPairDto,
} from './dto/auth-response.dto.js';
import {
  ForgotPasswordDto,
  LoginDto,
  ReauthenticateDto,
  RefreshDto,
  RegisterDto,
  ResetPasswordDto,
} from './dto/auth.dto.js';
import { LoginService } from './login.service.js';
import { PasswordResetRequests, PasswordResets } from './password-reset.service.js';
import { ReauthenticationService } from './reauthentication.service.js';
import { RegistrationService } from './registration.service.js';
import { SessionsService } from './sessions.service.js';

const HOUR = 3600;

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly registration: RegistrationService,
    private readonly logins: LoginService,
    private readonly sessions: SessionsService,
    private readonly resetRequests: PasswordResetRequests,
    private readonly resets: PasswordResets,
    private readonly reauthentication: ReauthenticationService,
  ) {}

  @Public()
  @Post('register')
  @RouteRateLimit({ name: 'register', limit: 10, windowSeconds: HOUR, by: 'ip' })
  @ApiOperation({ summary: 'Create an account (with a free subscription) and sign in' })
  @ApiCreatedResponse({ type: AuthResponseDto })
  @ApiErrorResponse(400, 'An invalid field, or a password that breaks the password policy')
  @ApiErrorResponse(409, 'An account with this email already exists')
  @ApiErrorResponse(429, 'Too many registrations from this address; see Retry-After')
  register(@Body() body: RegisterDto, @Meta() meta: RequestMeta): Promise<AuthResponseDto> {
    return this.registration.register(body, meta);
  }

  @Public()
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Sign in with email and password',
    description:
      'With two-step verification on, a right password answers {mfaRequired: true, mfaToken, methods} and no tokens: finish with POST /auth/mfa/verify.',
  })
  @ApiExtraModels(AuthResponseDto, MfaRequiredDto)
  @ApiOkResponse({
    schema: {
      oneOf: [{ $ref: getSchemaPath(AuthResponseDto) }, { $ref: getSchemaPath(MfaRequiredDto) }],
    },
  })
  @ApiErrorResponse(401, 'Invalid email or password (one answer for both)')
  @ApiErrorResponse(429, 'Too many failed attempts for this email or address; see Retry-After')
  login(
    @Body() body: LoginDto,
    @Meta() meta: RequestMeta,
  ): Promise<AuthResponseDto | MfaRequiredDto> {
    return this.logins.login(body, meta);
  }

  @Public()
  @Post('refresh')
  @HttpCode(HttpStatus.OK)
  @RouteRateLimit({ name: 'refresh', limit: 300, windowSeconds: 900, by: 'ip' })
  @ApiOperation({ summary: 'Exchange a refresh token for a new pair (the old one stops working)' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiErrorResponse(
    401,
    'Unknown, expired, revoked or already rotated refresh token (a rotated one revokes its whole login)',
  )
  refresh(@Body() body: RefreshDto, @Meta() meta: RequestMeta): Promise<TokenPairDto> {
    return this.sessions.refresh(body.refreshToken, meta);
  }

  @Public()
  @Post('logout')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'End the session of a refresh token' })
  @ApiNoContentResponse({ description: 'The session of this refresh token is revoked' })
  logout(@Body() body: RefreshDto, @Meta() meta: RequestMeta): Promise<void> {
    return this.sessions.logout(body.refreshToken, meta);
  }

  @Post('logout-all')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End every session of the caller' })
  @ApiNoContentResponse({ description: 'Every session and access token of the user is revoked' })
  logoutAll(@CurrentUser() principal: Principal, @Meta() meta: RequestMeta): Promise<void> {
    return this.sessions.logoutEverywhere(principal.id, meta);
  }

  @Post('reauthenticate')
  @HttpCode(HttpStatus.OK)
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'Prove who you are again, for the sensitive routes (step-up)',
    description:
      'Send exactly one of password, code (a TOTP code or a recovery code) or webauthn (a passkey assertion, PublicKeyCredential.toJSON(), made from the options of POST /api/v1/auth/passkeys/login/options). The session stays the same: its refresh token is rotated, and the new access token records a fresh authentication (auth_time) and, for a code or a passkey, amr with mfa.',
  })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiErrorResponse(
    400,
    'Not exactly one of password, code or webauthn; a method the account does not have; an invalid field; or a passkey assertion that is malformed, does not verify, or whose challenge is unknown, used or expired',
  )
  @ApiErrorResponse(
    401,
    "The password or code is wrong (counted like a failed sign-in), the passkey is not one of the user's (or its signature counter went back), the session has ended, or the access token is missing or invalid",
  )
  @ApiErrorResponse(429, 'Too many wrong passwords for this account or address; see Retry-After')
  reauthenticate(
    @CurrentUser() principal: Principal,
    @Body() body: ReauthenticateDto,
    @Meta() meta: RequestMeta,
  ): Promise<TokenPairDto> {
    return this.reauthentication.reauthenticate(principal, body, meta);
  }

  @Public()
  @Post('password/forgot')
  @HttpCode(HttpStatus.ACCEPTED)
  @RouteRateLimit(
    { name: 'forgot-ip', limit: 20, windowSeconds: HOUR, by: 'ip' },
    { name: 'forgot-email', limit: 3, windowSeconds: HOUR, by: 'email' },
  )
  @ApiOperation({ summary: 'Mail a password reset link, if the account exists' })
  @ApiAcceptedResponse({
    type: AcceptedDto,
    description: 'The same answer whether or not the account exists',
  })
  async forgot(@Body() body: ForgotPasswordDto, @Meta() meta: RequestMeta): Promise<AcceptedDto> {
    await this.resetRequests.request(body.email, meta);
    return { message: 'If an account exists for this email, a reset link has been sent' };
  }

  @Public()
  @Post('password/reset')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RouteRateLimit({ name: 'reset', limit: 20, windowSeconds: HOUR, by: 'ip' })
  @ApiOperation({ summary: 'Set a new password with the token from the reset mail' })
  @ApiNoContentResponse({ description: 'Password set; every session is revoked' })
  @ApiErrorResponse(
    400,
    'A used, expired or unknown token, or a password that breaks the password policy',
  )
  reset(@Body() body: ResetPasswordDto, @Meta() meta: RequestMeta): Promise<void> {
    return this.resets.reset(body.token, body.password, meta);
  }
}
