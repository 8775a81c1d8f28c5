import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../../../database/database-errors.js';
import { IS_PUBLIC } from '../../../common/auth/auth.decorators.js';

/**
 * First of the global guards: identifies the caller from a bearer token when one is sent,
 * and never refuses by itself, so that the rate limit (next) counts every request, per user
 * as well when identified. AccessGuard (last) refuses what needs an identity. A public route
 * is anonymous: a token sent to it is not read, so it can never move the caller out of the
 * per-address limit.
 */
@Injectable()
export class AuthenticationGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { authFailed?: boolean }>();
    if (!request.headers.authorization) return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    await super.canActivate(context);
    return true;
  }

  override handleRequest<TUser>(
    error: unknown,
    user: TUser | false,
    _info: unknown,
    context: ExecutionContext,
  ): TUser {
    // An unreachable database is the server's problem (503), never the caller's token (401):
    // a 401 would make the web app sign the user out.
    if (isDatabaseUnavailable(error)) throw error;
    if (error || !user) {
      context.switchToHttp().getRequest<{ authFailed?: boolean }>().authFailed = true;
      return undefined as TUser;
    }
    return user;
  }
}
