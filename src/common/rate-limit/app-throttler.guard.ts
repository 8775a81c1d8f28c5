import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { RequestWithUser } from '../http/request-context.js';

/**
 * The global limit counts per user once authenticated and per client address otherwise.
 * The address is Fastify's request.ip, which honours TRUST_PROXY and nothing else, so a
 * spoofed X-Forwarded-For never moves a client to a fresh bucket.
 */
@Injectable()
export class AppThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(req: Record<string, unknown>): Promise<string> {
    const request = req as unknown as RequestWithUser;
    return request.user ? `user:${request.user.id}` : `ip:${request.ip}`;
  }
}
