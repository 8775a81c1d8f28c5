import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { isIP } from 'node:net';
import type { RequestMeta } from '../events/domain-events.js';

export function requestMetaOf(request: FastifyRequest): RequestMeta {
  const agent = request.headers['user-agent'];
  return {
    // Behind TRUST_PROXY the address comes from X-Forwarded-For, which a client may fill
    // with anything: only a real address is kept (it is stored as inet).
    ip: request.ip !== undefined && isIP(request.ip) !== 0 ? request.ip : null,
    userAgent: typeof agent === 'string' ? agent.slice(0, 512) : null,
  };
}

/** The caller's address (Fastify's request.ip, which honours TRUST_PROXY) and user agent. */
export const Meta = createParamDecorator((_data: unknown, context: ExecutionContext): RequestMeta =>
  requestMetaOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
