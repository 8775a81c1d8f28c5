import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { UserRole } from '../../../common/auth/auth.decorators.js';
import {
  IS_PUBLIC,
  isMultiFactor,
  ROLES,
  type Principal,
} from '../../../common/auth/auth.decorators.js';
import { MfaRequiredException } from '../../../common/errors/mfa-required.exception.js';
import { AppConfig } from '../../../config/app-config.js';

/**
 * Last of the global guards: 401 without a valid identity, 403 without the role asked, and
 * (with REQUIRE_ADMIN_MFA) 403 mfa_required on admin routes for a session that did not use a
 * second factor or a passkey.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly adminsNeedMfa: boolean;

  constructor(
    private readonly reflector: Reflector,
    config: AppConfig,
  ) {
    this.adminsNeedMfa = config.auth.mfa.requireForAdmins;
  }

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<{ user?: Principal; authFailed?: boolean }>();
    if (!request.user) {
      throw new UnauthorizedException(
        request.authFailed ? 'Invalid or expired access token' : 'Authentication required',
      );
    }
    const roles = this.reflector.getAllAndOverride<UserRole[] | undefined>(ROLES, targets);
    if (roles && !roles.includes(request.user.role)) {
      throw new ForbiddenException('You do not have access to this resource');
    }
    if (roles?.includes('admin') && this.adminsNeedMfa && !isMultiFactor(request.user.amr)) {
      throw new MfaRequiredException();
    }
    return true;
  }
}
