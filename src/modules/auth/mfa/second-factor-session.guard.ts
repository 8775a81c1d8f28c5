import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Injectable,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { isMultiFactor, type Principal } from '../../../common/auth/auth.decorators.js';
import { ReauthenticationRequiredException } from '../../../common/errors/reauthentication-required.exception.js';
import { ApiErrorResponse } from '../../../common/openapi/api-error-response.decorator.js';
import { TotpFactor } from './totp-factor.service.js';

const SECOND_FACTOR_NEEDED =
  'Two-step verification is on: confirm with a code or a passkey (POST /api/v1/auth/reauthenticate), then retry';

/**
 * While two-step verification is on, changing the factors (turning it off, new recovery
 * codes, adding or removing a passkey) needs a session that used a second factor. Otherwise
 * whoever has the password and a session from before the factor was added (or that only ever
 * reauthenticated with the password) could take the factor over.
 */
@Injectable()
export class SecondFactorSessionGuard implements CanActivate {
  constructor(private readonly totp: TotpFactor) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const user = context.switchToHttp().getRequest<{ user?: Principal }>().user;
    if (!user) throw new UnauthorizedException('Authentication required');
    if (isMultiFactor(user.amr) || !(await this.totp.isEnabled(user.id))) return true;
    throw new ReauthenticationRequiredException(SECOND_FACTOR_NEEDED);
  }
}

/** The route changes the account's factors: see SecondFactorSessionGuard. */
export function RequiresSecondFactorWhenEnrolled(): MethodDecorator {
  return applyDecorators(
    UseGuards(SecondFactorSessionGuard),
    ApiErrorResponse(
      403,
      'error "reauthentication_required": no recent authentication, or two-step verification is on and this session never used a second factor; renew it with POST /api/v1/auth/reauthenticate (a code or a passkey)',
    ),
  );
}
