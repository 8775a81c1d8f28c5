import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { UserRole } from '../../common/auth/auth.decorators.js';
import { UsersService } from '../users/users.service.js';
import { AccessStateService } from './access-state.service.js';
import { PasswordResetsRepository } from './password-resets.repository.js';
import { SessionsRepository } from './sessions.repository.js';

export interface Revocation {
  /** Recorded on the sessions it ends. */
  reason: string;
  /** False keeps the sessions: after a role change their next refresh carries the new role. */
  endSessions?: boolean;
  /** The caller's own session, which stays (a password change). */
  keepSession?: string;
  /** Changed in the same statement as the token version. */
  access?: { role?: UserRole; isActive?: boolean };
  /** More writes that commit, or fail, with the revocation. */
  within?: (manager: EntityManager) => Promise<void>;
}

/**
 * Cutting off a user's tokens (unused password-reset links included), in one place. Every way of doing it (logout everywhere,
 * password change or reset, deactivation, role change, erasure) goes through revokeTokens;
 * a single session's end (logout, a replayed refresh token) through sessionEnded.
 */
@Injectable()
export class TokenRevocation {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly sessions: SessionsRepository,
    private readonly accessState: AccessStateService,
    private readonly resets: PasswordResetsRepository,
  ) {}

  /**
   * Bumps the token version (so every access token issued before is refused), ends the
   * sessions and runs `within`, in one transaction; once committed, writes the new access
   * state for every instance and drops the cached profile. False when there is no such user,
   * and then nothing was changed.
   */
  async revokeTokens(userId: string, revocation: Revocation): Promise<boolean> {
    const found = await this.dataSource.transaction((manager) =>
      this.revokeWithin(manager, userId, revocation),
    );
    if (found) await this.revoked(userId);
    return found;
  }

  /**
   * The same writes inside a caller's transaction, for a change that must commit with them
   * (an email change consuming its code); the caller calls `revoked` once it has committed.
   */
  async revokeWithin(
    manager: EntityManager,
    userId: string,
    revocation: Revocation,
  ): Promise<boolean> {
    if (!(await this.users.bumpTokenVersion(userId, revocation.access ?? {}, manager)))
      return false;
    if (revocation.endSessions !== false) {
      await this.sessions.revokeAllForUser(
        userId,
        revocation.reason,
        revocation.keepSession ?? null,
        manager,
      );
    }
    await revocation.within?.(manager);
    // A reset link mailed before (perhaps to an address the account no longer has) dies too.
    await this.resets.dropUnused(manager, userId);
    return true;
  }

  /** After a revocation committed: every instance refuses the old tokens from now on. */
  async revoked(userId: string): Promise<void> {
    await Promise.all([this.accessState.changed(userId), this.users.changed(userId)]);
  }

  /** One session was ended in the database: its access tokens are refused from now on. */
  sessionEnded(userId: string): Promise<void> {
    return this.accessState.changed(userId);
  }
}
