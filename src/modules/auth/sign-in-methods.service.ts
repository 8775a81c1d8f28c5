import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { UsersService } from '../users/users.service.js';
import { MfaRepository } from './mfa/mfa.repository.js';
import { OidcRepository } from './oidc/oidc.repository.js';
import { PasskeysRepository } from './passkeys/passkeys.repository.js';

export const LAST_WAY_TO_SIGN_IN =
  'This is the last way to sign in to this account: add a passkey, link another sign-in or set a password (through a reset) before removing it';

/**
 * The ways a user can sign in on their own: the password (when the account has one), each
 * passkey and each linked social identity. Removing one of them must leave at least one, checked with the user's row locked
 * so that two removals on the same account take turns and cannot both remove "the other one".
 */
@Injectable()
export class SignInMethods {
  constructor(
    private readonly users: UsersService,
    private readonly passkeys: PasskeysRepository,
    private readonly identities: OidcRepository,
    private readonly mfa: MfaRepository,
  ) {}

  /**
   * The mailbox's owner claims an account whose address nobody had proven (a reset link
   * opened from it): every way in that was added before, by whoever held the account then
   * (social identities, passkeys, two-step verification), is removed, in the caller's
   * transaction. Otherwise someone who registered another person's address first could keep
   * a way back in after the owner takes the account over.
   */
  async clearForMailboxOwner(userId: string, manager: EntityManager): Promise<void> {
    await this.identities.deleteAllForUser(userId, manager);
    await this.passkeys.deleteAllForUser(userId, manager);
    await this.mfa.removeTotp(userId, manager);
  }

  /** How many ways the user has, with their row locked until the caller's transaction ends. */
  async countLocked(userId: string, manager: EntityManager): Promise<number> {
    // The lock comes first: the count below then sees every removal committed before it.
    const state = await this.users.lockSignInState(userId, manager);
    if (!state) throw new NotFoundException('User not found');
    const passkeys = await this.passkeys.countForUser(userId, manager);
    const identities = await this.identities.countForUser(userId, manager);
    return (state.hasPassword ? 1 : 0) + passkeys + identities;
  }

  /** 409 when removing one way would leave the user none; call within the removal's transaction. */
  async assertAnotherRemains(userId: string, manager: EntityManager): Promise<void> {
    if ((await this.countLocked(userId, manager)) <= 1)
      throw new ConflictException(LAST_WAY_TO_SIGN_IN);
  }
}
