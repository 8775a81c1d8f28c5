import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { UserRole } from '../../../common/auth/auth.decorators.js';
import { IS_PUBLIC, ROLES, type Principal } from '../../../common/auth/auth.decorators.js';

/** Last of the global guards: 401 without a valid identity, 403 without the role asked. */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

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
    return true;
  }
}
