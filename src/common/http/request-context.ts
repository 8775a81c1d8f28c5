import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const WELL_FORMED_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Accepts a caller's X-Request-Id when it is well formed; otherwise makes a new one. */
export function requestIdFor(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  return typeof header === 'string' && WELL_FORMED_REQUEST_ID.test(header) ? header : randomUUID();
}

/** The authenticated principal set by the auth guard, when there is one. */
export interface AuthenticatedUser {
  id: string;
  role: string;
}

export interface RequestWithUser {
  id: string;
  ip: string;
  user?: AuthenticatedUser;
}
