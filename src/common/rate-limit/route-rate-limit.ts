import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { normaliseEmail } from '../text/identifiers.js';
import { TooManyRequestsException } from '../errors/too-many-requests.exception.js';
import { RateLimitStorage } from './rate-limit.storage.js';

export interface RouteLimit {
  /** Counter name, shared by every route that uses it. */
  name: string;
  limit: number;
  windowSeconds: number;
  /** Count per client address, per normalised email of the JSON body, or per signed-in user. */
  by: 'ip' | 'email' | 'user';
  /** The body field holding the email, for `by: 'email'` (default `email`). */
  field?: string;
}

const ROUTE_LIMITS = Symbol('route-rate-limits');

/** The body's email as every other use sees it, or undefined when there is none. */
function emailOf(body: unknown, field = 'email'): string | undefined {
  const value = normaliseEmail((body as Record<string, unknown> | undefined)?.[field]);
  return typeof value === 'string' ? value : undefined;
}

/**
 * Extra limits for sensitive routes (registration, refresh, password reset, codes), on top of
 * the global one, kept in the same storage so they hold across instances.
 */
@Injectable()
export class RouteRateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly storage: RateLimitStorage,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const limits = this.reflector.get<RouteLimit[]>(ROUTE_LIMITS, context.getHandler()) ?? [];
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: { id: string } }>();
    for (const limit of limits) {
      const subject =
        limit.by === 'ip'
          ? request.ip
          : limit.by === 'user'
            ? request.user?.id
            : emailOf(request.body, limit.field);
      if (subject === undefined) continue;
      const windowMs = limit.windowSeconds * 1000;
      const record = await this.storage.increment(
        `${limit.by}:${subject}`,
        windowMs,
        limit.limit,
        windowMs,
        limit.name,
      );
      if (record.isBlocked) throw new TooManyRequestsException(record.timeToBlockExpire);
    }
    return true;
  }
}

export function RouteRateLimit(...limits: RouteLimit[]): MethodDecorator {
  return applyDecorators(SetMetadata(ROUTE_LIMITS, limits), UseGuards(RouteRateLimitGuard));
}
