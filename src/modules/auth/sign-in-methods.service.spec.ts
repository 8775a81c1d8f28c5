import { describe, expect, it } from '@jest/globals';
import { ConflictException, NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { UsersService } from '../users/users.service.js';
import type { MfaRepository } from './mfa/mfa.repository.js';
import type { OidcRepository } from './oidc/oidc.repository.js';
import type { PasskeysRepository } from './passkeys/passkeys.repository.js';
import { SignInMethods } from './sign-in-methods.service.js';

/** One account's sign-in state, and the order in which it was read. */
function setUp(account: { hasPassword: boolean; passkeys: number; identities?: number } | null) {
  const calls: string[] = [];
  const manager = {} as EntityManager;
  const users: Pick<UsersService, 'lockSignInState'> = {
    async lockSignInState(_id, given) {
      expect(given).toBe(manager);
      calls.push('lock');
      return account && { hasPassword: account.hasPassword };
    },
  };
  const passkeys: Pick<PasskeysRepository, 'countForUser'> = {
    async countForUser(_id, given) {
      expect(given).toBe(manager);
      calls.push('count');
      return account?.passkeys ?? 0;
    },
  };
  const identities: Pick<OidcRepository, 'countForUser'> = {
    async countForUser(_id, given) {
      expect(given).toBe(manager);
      calls.push('identities');
      return account?.identities ?? 0;
    },
  };
  const methods = new SignInMethods(
    users as UsersService,
    passkeys as unknown as PasskeysRepository,
    identities as unknown as OidcRepository,
    {} as MfaRepository,
  );
  return { methods, manager, calls };
}

describe(SignInMethods.name, () => {
  it('counts the password and each passkey, locking the user before counting', async () => {
    const { methods, manager, calls } = setUp({ hasPassword: true, passkeys: 2 });
    expect(await methods.countLocked(randomUUID(), manager)).toBe(3);
    expect(calls).toEqual(['lock', 'count', 'identities']);
  });

  it('counts each linked social identity', async () => {
    const { methods, manager } = setUp({ hasPassword: false, passkeys: 0, identities: 2 });
    expect(await methods.countLocked(randomUUID(), manager)).toBe(2);
    await expect(methods.assertAnotherRemains(randomUUID(), manager)).resolves.toBeUndefined();
  });

  it('does not count a password the account does not have (password_hash null)', async () => {
    const { methods, manager } = setUp({ hasPassword: false, passkeys: 2 });
    expect(await methods.countLocked(randomUUID(), manager)).toBe(2);
  });

  it.each([[{ hasPassword: true, passkeys: 1 }], [{ hasPassword: false, passkeys: 2 }]])(
    'lets one way go when another remains (%j)',
    async (account) => {
      const { methods, manager } = setUp(account);
      await expect(methods.assertAnotherRemains(randomUUID(), manager)).resolves.toBeUndefined();
    },
  );

  it.each([
    [{ hasPassword: false, passkeys: 1 }],
    [{ hasPassword: true, passkeys: 0 }],
    [{ hasPassword: false, passkeys: 0 }],
    [{ hasPassword: false, passkeys: 0, identities: 1 }],
  ])('refuses with 409 to remove the last way (%j)', async (account) => {
    const { methods, manager } = setUp(account);
    await expect(methods.assertAnotherRemains(randomUUID(), manager)).rejects.toBeInstanceOf(
      ConflictException,
    );
  });

  it('answers 404 for an account that is gone', async () => {
    const { methods, manager } = setUp(null);
    await expect(methods.countLocked(randomUUID(), manager)).rejects.toBeInstanceOf(
      NotFoundException,
    );
  });
});
