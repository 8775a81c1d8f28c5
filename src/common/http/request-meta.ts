import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { isIP } from 'node:net';
import type { RequestMeta } from '../events/domain-events.js';

/**
 * Behind TRUST_PROXY the address comes from X-Forwarded-For, which a client may fill with
 * anything: only an address PostgreSQL's inet takes is kept (an IPv6 zone, `%eth0`, is not).
 */
export function storableAddress(ip: string | undefined): string | null {
  return ip !== undefined && !ip.includes('%') && isIP(ip) !== 0 ? ip : null;
}

export function requestMetaOf(request: FastifyRequest): RequestMeta {
  const agent = request.headers['user-agent'];
  return {
    ip: storableAddress(request.ip),
    userAgent: typeof agent === 'string' ? agent.slice(0, 512) : null,
  };
}

/** The caller's address (Fastify's request.ip, which honours TRUST_PROXY) and user agent. */
export const Meta = createParamDecorator((_data: unknown, context: ExecutionContext): RequestMeta =>
  requestMetaOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
