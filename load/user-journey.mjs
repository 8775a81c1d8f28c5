// Artillery processor for user-journey.yml: one client address per virtual user.
import { randomInt } from 'node:crypto';

/**
 * Sends the virtual user's own address, drawn once per user from 198.18.0.0/15 (RFC 2544, set
 * aside for benchmarks), as X-Forwarded-For on each of its requests. Behind TRUST_PROXY the
 * API takes it as the client address, so per-address limits (10 registrations an hour) apply
 * per virtual user, as they would to real users, not to the one machine running the test.
 */
export function sendClientAddress(requestParams, context, _events, next) {
  context.vars.clientAddress ??= `198.${randomInt(18, 20)}.${randomInt(256)}.${randomInt(1, 255)}`;
  requestParams.headers = {
    ...requestParams.headers,
    'x-forwarded-for': context.vars.clientAddress,
  };
  next();
}
