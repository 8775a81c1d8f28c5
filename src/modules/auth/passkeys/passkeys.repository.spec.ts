import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { ManualClock } from '../../../../test/support/manual-clock.js';
import { createSpecDatabase, type SpecDatabase } from '../../../../test/support/spec-database.js';
import { PasskeysRepository, type NewPasskey } from './passkeys.repository.js';
import { WebAuthnChallengesRepository } from './webauthn-challenges.repository.js';

const MINUTE = 60_000;

describe('passkey repositories', () => {
  let database: SpecDatabase;
  let passkeys: PasskeysRepository;
  let challenges: WebAuthnChallengesRepository;
  const clock = new ManualClock(Date.UTC(2026, 0, 1));

  beforeAll(async () => {
    database = await createSpecDatabase();
    passkeys = new PasskeysRepository(database.dataSource);
    challenges = new WebAuthnChallengesRepository(database.dataSource);
  });
  afterAll(() => database?.drop());

  const query = <T>(sql: string, parameters: unknown[] = []) =>
    database.dataSource.query<T[]>(sql, parameters);

  const createUser = async (): Promise<string> => (await database.createUser()).id;

  const newPasskey = (userId: string, counter = 0): NewPasskey => ({
    userId,
    credentialId: randomBytes(16).toString('base64url'),
    publicKey: randomBytes(77),
    counter,
    transports: ['internal', 'hybrid'],
    deviceType: 'multiDevice',
    backedUp: true,
    aaguid: randomUUID(),
    name: 'Laptop',
  });

  describe(WebAuthnChallengesRepository.name, () => {
    const fresh = () => randomBytes(32).toString('base64url');

    it('consumes a live challenge once', async () => {
      const challenge = fresh();
      await challenges.insert(
        challenge,
        'authentication',
        null,
        new Date(clock.nowMs() + 5 * MINUTE),
        clock.now(),
      );
      const [first, second] = await Promise.all([
        challenges.consume(challenge, 'authentication', null, clock.now()),
        challenges.consume(challenge, 'authentication', null, clock.now()),
      ]);
      expect([first, second].sort()).toEqual([false, true]);
      expect(
        await query(`SELECT 1 FROM webauthn_challenges WHERE challenge = $1`, [challenge]),
      ).toEqual([]);
    });

    it('refuses (and removes) an expired challenge', async () => {
      const challenge = fresh();
      await challenges.insert(challenge, 'authentication', null, clock.now(), clock.now());
      expect(await challenges.consume(challenge, 'authentication', null, clock.now())).toBe(false);
      expect(
        await query(`SELECT 1 FROM webauthn_challenges WHERE challenge = $1`, [challenge]),
      ).toEqual([]);
    });

    it('keeps a registration challenge for its user and purpose only', async () => {
      const owner = await createUser();
      const challenge = fresh();
      const expiresAt = new Date(clock.nowMs() + MINUTE);
      await challenges.insert(challenge, 'registration', owner, expiresAt, clock.now());
      expect(await challenges.consume(challenge, 'authentication', null, clock.now())).toBe(false);
      expect(
        await challenges.consume(challenge, 'registration', await createUser(), clock.now()),
      ).toBe(false);
      expect(await challenges.consume(challenge, 'registration', owner, clock.now())).toBe(true);
    });

    it('deletes expired challenges as new ones are issued', async () => {
      const stale = fresh();
      await challenges.insert(stale, 'authentication', null, clock.now(), clock.now());
      clock.advance(MINUTE);
      await challenges.insert(
        fresh(),
        'authentication',
        null,
        new Date(clock.nowMs() + MINUTE),
        clock.now(),
      );
      expect(
        await query(`SELECT 1 FROM webauthn_challenges WHERE challenge = $1`, [stale]),
      ).toEqual([]);
    });
  });

  describe(PasskeysRepository.name, () => {
    it('stores a credential once across accounts', async () => {
      const passkey = newPasskey(await createUser());
      expect(await passkeys.insert(passkey)).toMatchObject({ name: 'Laptop', lastUsedAt: null });
      expect(await passkeys.insert({ ...passkey, userId: await createUser() })).toBeNull();
      expect(await passkeys.findByCredentialId(passkey.credentialId)).toMatchObject({
        userId: passkey.userId,
        counter: 0,
        transports: ['internal', 'hybrid'],
        publicKey: passkey.publicKey,
      });
    });

    it('records a use only while the counter moves forward (or stays 0 for one that keeps none)', async () => {
      const userId = await createUser();
      const counting = await passkeys.insert(newPasskey(userId, 3));
      const uncounted = await passkeys.insert(newPasskey(userId, 0));

      expect(await passkeys.recordUse(counting!.id, 3, true, clock.now())).toBe(false);
      expect(await passkeys.recordUse(counting!.id, 2, true, clock.now())).toBe(false);
      expect(await passkeys.recordUse(counting!.id, 4, false, clock.now())).toBe(true);
      expect(await passkeys.recordUse(uncounted!.id, 0, true, clock.now())).toBe(true);
      expect(await passkeys.recordUse(uncounted!.id, 0, true, clock.now())).toBe(true);

      const rows = await query<{
        id: string;
        counter: string;
        backed_up: boolean;
        last_used_at: Date;
      }>(`SELECT id, counter, backed_up, last_used_at FROM passkeys WHERE user_id = $1`, [userId]);
      expect(rows.find((row) => row.id === counting!.id)).toMatchObject({
        counter: '4',
        backed_up: false,
        last_used_at: clock.now(),
      });
    });

    it("renames and finds only the owner's passkey", async () => {
      const owner = await createUser();
      const created = await passkeys.insert(newPasskey(owner));
      expect(await passkeys.rename(created!.id, await createUser(), 'Theirs')).toBeNull();
      expect(await passkeys.rename(created!.id, owner, 'Desk')).toMatchObject({ name: 'Desk' });
      expect(await passkeys.findOwned(created!.id, await createUser())).toBeNull();
      expect(await passkeys.listForUser(owner)).toEqual([
        { id: created!.id, name: 'Desk', createdAt: created!.createdAt, lastUsedAt: null },
      ]);
    });

    it('goes with its user', async () => {
      const userId = await createUser();
      await passkeys.insert(newPasskey(userId));
      await query(`DELETE FROM users WHERE id = $1`, [userId]);
      expect(await passkeys.countForUser(userId)).toBe(0);
    });
  });
});
