import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { CurrentUser, Public, type Principal } from '../../../common/auth/auth.decorators.js';
import { RequiresRecentAuthentication } from '../../../common/auth/recent-authentication.guard.js';
import type { RequestMeta } from '../../../common/events/domain-events.js';
import { Meta } from '../../../common/http/request-meta.js';
import { ParseIdPipe } from '../../../common/http/parse-id.pipe.js';
import { ApiErrorResponse } from '../../../common/openapi/api-error-response.decorator.js';
import { RouteRateLimit } from '../../../common/rate-limit/route-rate-limit.js';
import { AuthResponseDto, MfaRequiredDto } from '../dto/auth-response.dto.js';
import { RequiresSecondFactorWhenEnrolled } from '../mfa/second-factor-session.guard.js';
import { Identities } from './identities.service.js';
import { OidcClients } from './oidc-clients.service.js';
import { OidcFlow } from './oidc-flow.service.js';
import {
  IdentityDto,
  OidcCallbackDto,
  OidcProviderDto,
  OidcStartDto,
  OidcStartResponseDto,
} from './oidc.dto.js';
import { SocialSignIn } from './social-sign-in.service.js';

const QUARTER_HOUR = 900;
const PROVIDER = { name: 'provider', description: 'A provider id from GET /auth/oidc/providers' };
const BAD_CALLBACK =
  "A state that is unknown, used, expired or not this route's; a code the provider refuses (replayed, or not for this PKCE verifier); an ID token that fails verification (signature, issuer, audience, expiry, nonce); or an invalid field";

/** Social sign-in: the providers, starting a request, and finishing it to sign in or link. */
@ApiTags('auth')
@Controller('auth/oidc')
export class OidcController {
  constructor(
    private readonly clients: OidcClients,
    private readonly flow: OidcFlow,
    private readonly signIns: SocialSignIn,
    private readonly identities: Identities,
  ) {}

  @Public()
  @Get('providers')
  @ApiOperation({ summary: 'The social sign-in providers configured (OIDC_PROVIDERS)' })
  @ApiOkResponse({ type: OidcProviderDto, isArray: true })
  providers(): OidcProviderDto[] {
    return this.clients.list();
  }

  @Public()
  @Post(':provider/start')
  @HttpCode(HttpStatus.OK)
  @RouteRateLimit({ name: 'oidc-start', limit: 60, windowSeconds: QUARTER_HOUR, by: 'ip' })
  @ApiOperation({
    summary: 'Start a social sign-in: the provider URL to send the browser to',
    description:
      'PKCE (S256), state and nonce are made and kept server-side for 10 minutes. The provider returns to redirectUri with code and state, which the web app posts to /auth/oidc/:provider/callback.',
  })
  @ApiParam(PROVIDER)
  @ApiOkResponse({ type: OidcStartResponseDto })
  @ApiErrorResponse(400, 'redirectUri is not under FRONTEND_URL, or an invalid field')
  @ApiErrorResponse(404, 'No such provider is configured')
  @ApiErrorResponse(429, 'Too many sign-ins started from this address; see Retry-After')
  @ApiErrorResponse(503, "The provider's discovery document cannot be read; retry later")
  async start(
    @Param('provider') provider: string,
    @Body() body: OidcStartDto,
  ): Promise<OidcStartResponseDto> {
    return { authorizationUrl: await this.flow.start(provider, body.redirectUri, 'signin', null) };
  }

  @Public()
  @Post(':provider/callback')
  @HttpCode(HttpStatus.OK)
  @RouteRateLimit({ name: 'oidc-callback', limit: 60, windowSeconds: QUARTER_HOUR, by: 'ip' })
  @ApiOperation({
    summary:
      'Finish a social sign-in: tokens (or a second-factor challenge); an unknown identity makes an account',
  })
  @ApiParam(PROVIDER)
  @ApiExtraModels(AuthResponseDto, MfaRequiredDto)
  @ApiOkResponse({
    schema: {
      oneOf: [{ $ref: getSchemaPath(AuthResponseDto) }, { $ref: getSchemaPath(MfaRequiredDto) }],
    },
  })
  @ApiErrorResponse(400, BAD_CALLBACK)
  @ApiErrorResponse(401, 'The account is deactivated')
  @ApiErrorResponse(404, 'No such provider is configured')
  @ApiErrorResponse(
    409,
    'error "account_exists": an account has this email but the link cannot be proven safe (one side has not verified it); sign in to it and link the provider',
  )
  @ApiErrorResponse(429, 'Too many sign-ins from this address; see Retry-After')
  @ApiErrorResponse(503, 'The provider cannot be reached; retry later')
  callback(
    @Param('provider') provider: string,
    @Body() body: OidcCallbackDto,
    @Meta() meta: RequestMeta,
  ): Promise<AuthResponseDto | MfaRequiredDto> {
    return this.signIns.signIn(provider, body, meta);
  }

  @Post(':provider/link/start')
  @HttpCode(HttpStatus.OK)
  @ApiBearerAuth()
  @RequiresRecentAuthentication()
  @RequiresSecondFactorWhenEnrolled({ passkeysCount: true })
  @RouteRateLimit({ name: 'oidc-link-start', limit: 30, windowSeconds: QUARTER_HOUR, by: 'user' })
  @ApiOperation({
    summary: "Start linking a provider to the caller's account: the provider URL",
    description:
      'The request is bound to the caller: only they can finish it, with POST /auth/oidc/:provider/link.',
  })
  @ApiParam(PROVIDER)
  @ApiOkResponse({ type: OidcStartResponseDto })
  @ApiErrorResponse(400, 'redirectUri is not under FRONTEND_URL, or an invalid field')
  @ApiErrorResponse(403, 'error "email_not_verified": the account\'s address is not verified yet')
  @ApiErrorResponse(404, 'No such provider is configured')
  @ApiErrorResponse(503, "The provider's discovery document cannot be read; retry later")
  async startLink(
    @CurrentUser() principal: Principal,
    @Param('provider') provider: string,
    @Body() body: OidcStartDto,
  ): Promise<OidcStartResponseDto> {
    return {
      authorizationUrl: await this.identities.startLink(principal.id, provider, body.redirectUri),
    };
  }

  @Post(':provider/link')
  @ApiBearerAuth()
  @RequiresRecentAuthentication()
  @RequiresSecondFactorWhenEnrolled({ passkeysCount: true })
  @ApiOperation({ summary: "Finish linking a provider to the caller's account" })
  @ApiParam(PROVIDER)
  @ApiCreatedResponse({ type: IdentityDto })
  @ApiErrorResponse(400, `${BAD_CALLBACK}; or a request that this caller did not start`)
  @ApiErrorResponse(403, 'error "email_not_verified": the account\'s address is not verified yet')
  @ApiErrorResponse(404, 'No such provider is configured')
  @ApiErrorResponse(409, 'The identity is linked to another account')
  @ApiErrorResponse(503, 'The provider cannot be reached; retry later')
  link(
    @CurrentUser() principal: Principal,
    @Param('provider') provider: string,
    @Body() body: OidcCallbackDto,
    @Meta() meta: RequestMeta,
  ): Promise<IdentityDto> {
    return this.identities.link(principal, provider, body, meta);
  }
}

/** The caller's linked identities. */
@ApiTags('users')
@ApiBearerAuth()
@Controller('users/me/identities')
export class IdentitiesController {
  constructor(private readonly identities: Identities) {}

  @Get()
  @ApiOperation({ summary: "The social sign-ins linked to the caller's account" })
  @ApiOkResponse({ type: IdentityDto, isArray: true })
  list(@CurrentUser() principal: Principal): Promise<IdentityDto[]> {
    return this.identities.list(principal.id);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @RequiresRecentAuthentication()
  @ApiOperation({ summary: 'Unlink a social sign-in (a notice is mailed)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'The identity no longer signs in' })
  @ApiErrorResponse(404, 'The caller has no identity with this id')
  @ApiErrorResponse(
    409,
    'It is the last way to sign in to the account (no password, passkey or other identity)',
  )
  unlink(
    @CurrentUser() principal: Principal,
    @Param('id', ParseIdPipe) id: string,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.identities.unlink(principal.id, id, meta);
  }
}
