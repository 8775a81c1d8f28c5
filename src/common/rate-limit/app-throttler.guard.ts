import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
} from '@nestjs/throttler';
import type { RequestWithUser } from '../http/request-context.js';
import { RateLimitStorage } from './rate-limit.storage.js';

/**
 * The global limit: one budget per client address, across all routes, and on top of it one
 * per user for an identified caller. An authenticated request counts against both (in one
 * round trip) and is refused when either is spent, so a token adds a limit and never lifts
 * the address's; public routes see no user (AuthenticationGuard does not read tokens there),
 * so they count per address only. The address is Fastify's request.ip, which honours
 * TRUST_PROXY and nothing else, so a spoofed X-Forwarded-For never moves a client to a
 * fresh bucket.
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    private readonly limits: RateLimitStorage,
    reflector: Reflector,
  ) {
    super(options, limits, reflector);
  }

  protected override async handleRequest({
    context,
    limit,
    ttl,
    blockDuration,
    throttler,
  }: ThrottlerRequest): Promise<boolean> {
    const { req, res } = this.getRequestResponse(context);
    const request = req as RequestWithUser;
    const trackers = [`ip:${request.ip}`];
    if (request.user) trackers.push(`user:${request.user.id}`);
    const record = await this.limits.incrementAll(
      trackers,
      ttl,
      limit,
      blockDuration,
      throttler.name ?? 'default',
    );
    if (record.isBlocked) {
      this.setResponseHeader(res, 'Retry-After', record.timeToBlockExpire);
      await this.throwThrottlingException(context, {
        ...record,
        limit,
        ttl,
        key: trackers.join(' '),
        tracker: trackers.join(' '),
      });
    }
    this.setResponseHeader(res, `${this.headerPrefix}-Limit`, limit);
    this.setResponseHeader(
      res,
      `${this.headerPrefix}-Remaining`,
      Math.max(0, limit - record.totalHits),
    );
    this.setResponseHeader(res, `${this.headerPrefix}-Reset`, record.timeToExpire);
    return true;
  }
}
