import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser, Public, type Principal } from '../../../common/auth/auth.decorators.js';
import { RequiresRecentAuthentication } from '../../../common/auth/recent-authentication.guard.js';
import type { RequestMeta } from '../../../common/events/domain-events.js';
import { ParseIdPipe } from '../../../common/http/parse-id.pipe.js';
import { Meta } from '../../../common/http/request-meta.js';
import { ApiErrorResponse } from '../../../common/openapi/api-error-response.decorator.js';
import { RouteRateLimit } from '../../../common/rate-limit/route-rate-limit.js';
import { AuthResponseDto } from '../dto/auth-response.dto.js';
import {
  PasskeyCreatedDto,
  PasskeyDto,
  PasskeyLoginDto,
  RegisterPasskeyDto,
  RenamePasskeyDto,
} from './dto/passkey.dto.js';
import { PasskeyCreationOptionsDto, PasskeyRequestOptionsDto } from './dto/webauthn-options.dto.js';
import { PasskeyAssertions } from './passkey-assertions.service.js';
import { PasskeyLogin } from './passkey-login.service.js';
import { MAX_PASSKEYS_PER_USER, PasskeyRegistration } from './passkey-registration.service.js';
import { PasskeysService } from './passkeys.service.js';
import { RequiresSecondFactorWhenEnrolled } from '../mfa/second-factor-session.guard.js';

const BAD_RESPONSE =
  'A malformed WebAuthn response; a challenge that is unknown, used already or expired (WEBAUTHN_CHALLENGE_TTL_SECONDS); or a response that does not verify (origin not in WEBAUTHN_ORIGINS, another RP id, bad signature, no user verification)';

@ApiTags('auth')
@Controller('auth/passkeys')
export class PasskeysController {
  constructor(
    private readonly registration: PasskeyRegistration,
    private readonly passkeys: PasskeysService,
    private readonly assertions: PasskeyAssertions,
    private readonly logins: PasskeyLogin,
  ) {}

  @Post('register/options')
  @HttpCode(HttpStatus.OK)
  @ApiBearerAuth()
  @RequiresRecentAuthentication()
  @RequiresSecondFactorWhenEnrolled({ passkeysCount: true })
  @ApiOperation({
    summary: 'Options for navigator.credentials.create(), to add a passkey',
    description:
      'Pass them to PublicKeyCredential.parseCreationOptionsFromJSON(); the challenge is single use, bound to the caller, and valid WEBAUTHN_CHALLENGE_TTL_SECONDS (300 by default).',
  })
  @ApiOkResponse({ type: PasskeyCreationOptionsDto })
  creationOptions(@CurrentUser() principal: Principal): Promise<PasskeyCreationOptionsDto> {
    return this.registration.creationOptions(principal);
  }

  @Post()
  @ApiBearerAuth()
  @RequiresSecondFactorWhenEnrolled({ passkeysCount: true })
  @ApiOperation({
    summary: 'Add a passkey: the new credential made from the registration options',
    description: 'A security notice is mailed to the account.',
  })
  @ApiCreatedResponse({ type: PasskeyCreatedDto })
  @ApiErrorResponse(400, `An invalid field, or ${BAD_RESPONSE}`)
  @ApiErrorResponse(
    409,
    `This credential is registered already, or the account holds ${MAX_PASSKEYS_PER_USER} passkeys`,
  )
  register(
    @CurrentUser() principal: Principal,
    @Body() body: RegisterPasskeyDto,
    @Meta() meta: RequestMeta,
  ): Promise<PasskeyCreatedDto> {
    return this.registration.register(principal, body, meta);
  }

  @Get()
  @ApiBearerAuth()
  @ApiOperation({ summary: "The caller's passkeys, oldest first" })
  @ApiOkResponse({ type: PasskeyDto, isArray: true })
  list(@CurrentUser() principal: Principal): Promise<PasskeyDto[]> {
    return this.passkeys.list(principal.id);
  }

  @Patch(':id')
  @ApiBearerAuth()
  @ApiOperation({ summary: "Rename one of the caller's passkeys" })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: PasskeyDto })
  @ApiErrorResponse(404, 'The caller has no passkey with this id')
  rename(
    @CurrentUser() principal: Principal,
    @Param('id', ParseIdPipe) id: string,
    @Body() body: RenamePasskeyDto,
  ): Promise<PasskeyDto> {
    return this.passkeys.rename(principal.id, id, body.name);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiBearerAuth()
  @RequiresRecentAuthentication()
  @RequiresSecondFactorWhenEnrolled()
  @ApiOperation({
    summary: "Remove one of the caller's passkeys",
    description: 'A security notice is mailed to the account.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'The passkey no longer signs in' })
  @ApiErrorResponse(404, 'The caller has no passkey with this id')
  @ApiErrorResponse(
    409,
    'It is the last way to sign in to the account (no password and no other passkey)',
  )
  remove(
    @CurrentUser() principal: Principal,
    @Param('id', ParseIdPipe) id: string,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.passkeys.remove(principal.id, id, meta);
  }

  @Public()
  @Post('login/options')
  @HttpCode(HttpStatus.OK)
  @RouteRateLimit({ name: 'passkey-options', limit: 60, windowSeconds: 900, by: 'ip' })
  @ApiOperation({
    summary: 'Options for navigator.credentials.get(), with any passkey of this site',
    description:
      'For passwordless sign-in (POST /auth/passkeys/login), for step-up (POST /auth/reauthenticate with webauthn) and as a second factor. No allowCredentials: the browser offers the discoverable credentials it holds. Pass them to PublicKeyCredential.parseRequestOptionsFromJSON(); the challenge is single use and valid WEBAUTHN_CHALLENGE_TTL_SECONDS.',
  })
  @ApiOkResponse({ type: PasskeyRequestOptionsDto })
  @ApiErrorResponse(429, 'Too many requests from this address; see Retry-After')
  loginOptions(): Promise<PasskeyRequestOptionsDto> {
    return this.assertions.requestOptions();
  }

  @Public()
  @Post('login')
  @HttpCode(HttpStatus.OK)
  @RouteRateLimit({ name: 'passkey-login', limit: 30, windowSeconds: 900, by: 'ip' })
  @ApiOperation({
    summary: 'Sign in with a passkey (no email or password)',
    description:
      'The session counts as multi-factor: a passkey is possession and user verification at once.',
  })
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiErrorResponse(400, `An invalid field, or ${BAD_RESPONSE}`)
  @ApiErrorResponse(
    401,
    'An unknown passkey, a deactivated account, or a signature counter that did not advance (one answer for all)',
  )
  @ApiErrorResponse(429, 'Too many attempts from this address; see Retry-After')
  login(@Body() body: PasskeyLoginDto, @Meta() meta: RequestMeta): Promise<AuthResponseDto> {
    return this.logins.login(body.response, meta);
  }
}
