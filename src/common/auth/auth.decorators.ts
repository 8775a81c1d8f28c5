import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedUser } from '../http/request-context.js';

/** What an account may do: 'admin' adds the admin routes. */
export type UserRole = 'user' | 'admin';

export const IS_PUBLIC = Symbol('is-public');
export const ROLES = Symbol('roles');

/** The route answers without authentication. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The route needs one of these roles (403 otherwise). */
export const Roles = (...roles: UserRole[]) => SetMetadata(ROLES, roles);

/** What the access token (checked against the current token version) says of the caller. */
export interface Principal extends AuthenticatedUser {
  role: UserRole;
  sessionId: string;
  /**
   * When the user last proved who they are in this session, in seconds since the epoch (the
   * token's auth_time); null for a token issued before sessions recorded it.
   */
  authTime: number | null;
  /** How the user authenticated in this session (the token's amr; empty for older tokens). */
  amr: readonly string[];
}

/** Whether a session's methods (a token's amr) include a second factor or a passkey. */
export function isMultiFactor(amr: readonly string[]): boolean {
  return amr.includes('mfa');
}

export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal =>
    context.switchToHttp().getRequest<FastifyRequest & { user: Principal }>().user,
);
