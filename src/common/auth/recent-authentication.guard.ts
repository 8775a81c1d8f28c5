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
import { AppConfig } from '../../config/app-config.js';
import { ReauthenticationRequiredException } from '../errors/reauthentication-required.exception.js';
import { ApiErrorResponse } from '../openapi/api-error-response.decorator.js';
import { Clock } from '../time/clock.js';
import type { Principal } from './auth.decorators.js';

const RECENT_AUTHENTICATION = Symbol('recent-authentication');

export interface RecentAuthenticationOptions {
  /**
   * The body field in which the route takes the user's password. A password sent there
   * stands in for a recent authentication, so the route's service must verify it (with
   * PasswordConfirmation, which counts a wrong one toward the sign-in lock).
   */
  orPasswordIn?: string;
}

/** Whether an authentication at `authTime` (seconds since the epoch) is recent enough. */
export function isRecentAuthentication(
  authTime: number | null,
  nowMs: number,
  maxAgeSeconds: number,
): boolean {
  return authTime !== null && nowMs / 1000 - authTime <= maxAgeSeconds;
}

/**
 * Sensitive actions: the caller's access token must record an authentication within the
 * last STEP_UP_MAX_AGE_SECONDS (its auth_time), or the body must carry the password where the
 * route takes one; otherwise 403 {error: "reauthentication_required"}, and the client renews
 * the authentication with POST /auth/reauthenticate.
 */
@Injectable()
export class RecentAuthenticationGuard implements CanActivate {
  private readonly maxAgeSeconds: number;

  constructor(
    private readonly reflector: Reflector,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.maxAgeSeconds = config.auth.stepUpMaxAgeSeconds;
  }

  canActivate(context: ExecutionContext): boolean {
    const options = this.reflector.get<RecentAuthenticationOptions | undefined>(
      RECENT_AUTHENTICATION,
      context.getHandler(),
    );
    if (!options) return true;
    const request = context.switchToHttp().getRequest<{ user?: Principal; body?: unknown }>();
    if (!request.user) throw new UnauthorizedException('Authentication required');
    if (isRecentAuthentication(request.user.authTime, this.clock.nowMs(), this.maxAgeSeconds))
      return true;
    if (options.orPasswordIn && hasText(request.body, options.orPasswordIn)) return true;
    throw new ReauthenticationRequiredException();
  }
}

function hasText(body: unknown, field: string): boolean {
  if (typeof body !== 'object' || body === null || !Object.hasOwn(body, field)) return false;
  const value = (body as Record<string, unknown>)[field];
  return typeof value === 'string' && value.length > 0;
}

/**
 * The route is a sensitive action (see RecentAuthenticationGuard). Where it takes the password
 * in its body, name the field: the password then stands in for a recent authentication.
 */
export function RequiresRecentAuthentication(
  options: RecentAuthenticationOptions = {},
): MethodDecorator {
  const alternative = options.orPasswordIn ? ` and no ${options.orPasswordIn} in the body` : '';
  return applyDecorators(
    SetMetadata(RECENT_AUTHENTICATION, options),
    UseGuards(RecentAuthenticationGuard),
    ApiErrorResponse(
      403,
      `error "reauthentication_required": no authentication within the last STEP_UP_MAX_AGE_SECONDS (10 minutes by default)${alternative}; renew it with POST /api/v1/auth/reauthenticate`,
    ),
  );
}
