import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Injectable,
  SetMetadata,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { isMultiFactor, type Principal } from '../../../common/auth/auth.decorators.js';
import { ReauthenticationRequiredException } from '../../../common/errors/reauthentication-required.exception.js';
import { ApiErrorResponse } from '../../../common/openapi/api-error-response.decorator.js';
import { PasskeysRepository } from '../passkeys/passkeys.repository.js';
import { TotpFactor } from './totp-factor.service.js';

const SECOND_FACTOR_NEEDED =
  'Two-step verification is on: confirm with a code or a passkey (POST /api/v1/auth/reauthenticate), then retry';

const OPTIONS = Symbol('second-factor-session');

export interface SecondFactorSessionOptions {
  /**
   * A passkey the account holds counts as an enrolled factor too (for adding passkeys: a new
   * passkey signs in on its own and passes the admin rule, so only a session that used one of
   * the account's factors may add one).
   */
  passkeysCount?: boolean;
}

/**
 * While two-step verification is on, changing the factors (turning it off, new recovery
 * codes, adding or removing a passkey) needs a session that used a second factor. Otherwise
 * whoever has the password and a session from before the factor was added (or that only ever
 * reauthenticated with the password) could take the factor over.
 */
@Injectable()
export class SecondFactorSessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly totp: TotpFactor,
    private readonly passkeys: PasskeysRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const user = context.switchToHttp().getRequest<{ user?: Principal }>().user;
    if (!user) throw new UnauthorizedException('Authentication required');
    if (isMultiFactor(user.amr)) return true;
    const options = this.reflector.get<SecondFactorSessionOptions>(OPTIONS, context.getHandler());
    const enrolled =
      (await this.totp.isEnabled(user.id)) ||
      (options?.passkeysCount === true && (await this.passkeys.countForUser(user.id)) > 0);
    if (!enrolled) return true;
    throw new ReauthenticationRequiredException(SECOND_FACTOR_NEEDED);
  }
}

/** The route changes the account's factors: see SecondFactorSessionGuard. */
export function RequiresSecondFactorWhenEnrolled(
  options: SecondFactorSessionOptions = {},
): MethodDecorator {
  return applyDecorators(
    SetMetadata(OPTIONS, options),
    UseGuards(SecondFactorSessionGuard),
    ApiErrorResponse(
      403,
      'error "reauthentication_required": no recent authentication, or two-step verification is on and this session never used a second factor; renew it with POST /api/v1/auth/reauthenticate (a code or a passkey)',
    ),
  );
}
