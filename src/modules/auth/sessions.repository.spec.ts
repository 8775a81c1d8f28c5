import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { ManualClock } from '../../../test/support/manual-clock.js';
import { eventually } from '../../../test/support/eventually.js';
import { createSpecDatabase, type SpecDatabase } from '../../../test/support/spec-database.js';
import { SessionsRepository } from './sessions.repository.js';

/** Stands in for the token service's encryption: the SQL, not the cipher, is under test. */
const codec = {
  hash: (token: string) => createHash('sha256').update(token).digest(),
  encrypt: (token: string) => Buffer.from(token, 'utf8'),
  decrypt: (ciphertext: Buffer) => ciphertext.toString('utf8'),
};
const meta = { ip: '10.0.0.1', userAgent: 'spec/1' };
const GRACE_SECONDS = 30;

function newToken() {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: codec.hash(token), ciphertext: codec.encrypt(token) };
}

describe(SessionsRepository.name, () => {
  let database: SpecDatabase;
  let sessions: SessionsRepository;
  const clock = new ManualClock();

  beforeAll(async () => {
    database = await createSpecDatabase();
    sessions = new SessionsRepository(database.dataSource);
  });
  afterAll(() => database?.drop());

  const query = <T>(sql: string, parameters: unknown[] = []) =>
    database.dataSource.query<T[]>(sql, parameters);

  const createUser = async (): Promise<string> => (await database.createUser()).id;

  /** A user with one session; returns the session's first refresh token. */
  async function login(
    expiresAt = new Date(clock.nowMs() + 86_400_000),
    userId?: string,
    authenticatedAt = clock.now(),
  ) {
    userId ??= await createUser();
    const first = newToken();
    const sessionId = await sessions.create(userId, meta, expiresAt, first.hash, {
      authenticatedAt,
      mfa: false,
      amr: ['pwd'],
    });
    return { userId, sessionId, first };
  }

  const rotate = (token: string, graceSeconds = GRACE_SECONDS) =>
    sessions.rotate(codec.hash(token), meta, clock.now(), graceSeconds, newToken(), codec);

  const sessionRow = async (sessionId: string) =>
    (
      await query<{ revoked_at: Date | null; revoked_reason: string | null }>(
        `SELECT revoked_at, revoked_reason FROM user_sessions WHERE id = $1`,
        [sessionId],
      )
    )[0];

  it('rotates a current token to a successor, which is then the current one', async () => {
    const { userId, sessionId, first } = await login();
    const outcome = await rotate(first.token);
    expect(outcome).toMatchObject({ kind: 'rotated', sessionId, userId });
    const successor = (outcome as { token: string }).token;
    expect(successor).not.toBe(first.token);
    expect(await rotate(successor)).toMatchObject({ kind: 'rotated', sessionId });
  });

  it('answers a second presentation within the grace window with the same successor', async () => {
    const { first } = await login();
    const rotated = await rotate(first.token);
    const again = await rotate(first.token);
    expect(again).toEqual(rotated);
  });

  it('gives every one of concurrent presentations of one token the same successor', async () => {
    const { first } = await login();
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => rotate(first.token)));
    const tokens = new Set(outcomes.map((outcome) => (outcome as { token?: string }).token));
    expect(outcomes.every((outcome) => outcome.kind === 'rotated')).toBe(true);
    expect(tokens.size).toBe(1);
  });

  it('treats a rotated token presented with no grace window as reused, and revokes the session', async () => {
    const { userId, sessionId, first } = await login();
    const rotated = (await rotate(first.token)) as { token: string };
    clock.advance(1000);
    expect(await rotate(first.token, 0)).toEqual({ kind: 'reused', userId, sessionId });
    expect(await sessionRow(sessionId)).toMatchObject({
      revoked_at: expect.any(Date),
      revoked_reason: 'refresh_token_reused',
    });
    // The legitimate successor dies with the session.
    expect(await rotate(rotated.token)).toEqual({ kind: 'invalid' });
  });

  it('treats a rotated token presented after the grace window as reused', async () => {
    const { userId, sessionId, first } = await login();
    await rotate(first.token);
    clock.advance((GRACE_SECONDS + 5) * 1000);
    expect(await rotate(first.token)).toEqual({ kind: 'reused', userId, sessionId });
    expect((await sessionRow(sessionId)).revoked_reason).toBe('refresh_token_reused');
  });

  it('treats a token two rotations back as reused even within the grace window', async () => {
    const { userId, sessionId, first } = await login();
    const second = (await rotate(first.token)) as { token: string };
    await rotate(second.token);
    // The successor the first token points to is itself spent: no current token to hand out.
    expect(await rotate(first.token)).toEqual({ kind: 'reused', userId, sessionId });
  });

  it('refuses an unknown token, and changes nothing', async () => {
    expect(await rotate(newToken().token)).toEqual({ kind: 'invalid' });
  });

  it('refuses a token of an expired session without revoking it', async () => {
    const { sessionId, first } = await login(new Date(clock.nowMs() - 1000));
    expect(await rotate(first.token)).toEqual({ kind: 'invalid' });
    expect((await sessionRow(sessionId)).revoked_at).toBeNull();
  });

  // Whether the user may still sign in is SessionsService's check (their access state).
  it('refuses a token of a revoked session', async () => {
    const revoked = await login();
    await sessions.revokeByToken(revoked.first.hash, 'logout');
    expect(await rotate(revoked.first.token)).toEqual({ kind: 'invalid' });
  });

  describe('step-up and the sessions page', () => {
    const renew = (
      session: { userId: string; sessionId: string },
      successor = newToken(),
      amr = ['pwd'],
      authenticatedAt = clock.now(),
    ) =>
      sessions.renew(
        session.userId,
        session.sessionId,
        meta,
        { authenticatedAt, mfa: amr.includes('mfa'), amr },
        successor,
      );

    const authenticationOf = async (sessionId: string) =>
      (
        await query<{ authenticated_at: Date; mfa: boolean; amr: string[] }>(
          `SELECT authenticated_at, mfa, amr FROM user_sessions WHERE id = $1`,
          [sessionId],
        )
      )[0];

    it('carries the time of the authentication through every rotation', async () => {
      const signedIn = new Date(Math.floor(clock.nowMs() / 1000) * 1000 - 3_600_000);
      const { sessionId, first } = await login(undefined, undefined, signedIn);
      const once = (await rotate(first.token)) as { token: string; authenticatedAt: Date };
      const twice = await rotate(once.token);
      expect(once.authenticatedAt).toEqual(signedIn);
      expect(twice).toMatchObject({ kind: 'rotated', sessionId, authenticatedAt: signedIn });
    });

    it('renews a session in place: new authentication time, rotated token, same session', async () => {
      const session = await login(undefined, undefined, new Date(clock.nowMs() - 3_600_000));
      const now = clock.now();
      const successor = newToken();

      expect(await renew(session, successor, ['otp', 'mfa'], now)).toEqual(['mfa', 'otp', 'pwd']);

      expect(await authenticationOf(session.sessionId)).toEqual({
        authenticated_at: now,
        mfa: true,
        amr: ['mfa', 'otp', 'pwd'],
      });
      expect(await rotate(successor.token)).toMatchObject({
        kind: 'rotated',
        sessionId: session.sessionId,
        authenticatedAt: now,
        amr: ['mfa', 'otp', 'pwd'],
      });
      // Renewing with the password alone keeps what a second factor established.
      expect(await renew(session)).toEqual(['mfa', 'otp', 'pwd']);
      expect((await authenticationOf(session.sessionId)).mfa).toBe(true);
    });

    it('leaves the replaced refresh token to the rotation rules', async () => {
      const session = await login();
      const successor = newToken();
      await renew(session, successor);
      expect(await rotate(session.first.token)).toMatchObject({
        kind: 'rotated',
        token: successor.token,
      });
      clock.advance((GRACE_SECONDS + 5) * 1000);
      expect(await rotate(session.first.token)).toEqual({
        kind: 'reused',
        userId: session.userId,
        sessionId: session.sessionId,
      });
    });

    it('renews only a live session of the user', async () => {
      const revoked = await login();
      await sessions.revokeByToken(revoked.first.hash, 'logout');
      const expired = await login(new Date(clock.nowMs() - 1000));
      const foreign = await login();
      const stranger = await createUser();

      expect(await renew(revoked)).toBeNull();
      expect(await renew(expired)).toBeNull();
      expect(await renew({ userId: stranger, sessionId: foreign.sessionId })).toBeNull();
      expect(await rotate(foreign.first.token)).toMatchObject({ kind: 'rotated' });
    });

    it('renews a session whose token a refresh rotated while the renewal waited for its lock', async () => {
      const session = await login();
      const refresh = database.dataSource.createQueryRunner();
      await refresh.connect();
      try {
        // A refresh holding the current token's lock, as rotate does.
        await refresh.startTransaction();
        await refresh.query(
          `SELECT 1 FROM refresh_tokens WHERE session_id = $1 AND rotated_at IS NULL FOR UPDATE`,
          [session.sessionId],
        );
        const renewing = renew(session);
        await eventually('the renewal to wait for the lock', async () => {
          const [{ n }] = await query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          );
          return Number(n) > 0;
        });
        await refresh.query(
          `UPDATE refresh_tokens SET rotated_at = now() WHERE session_id = $1 AND rotated_at IS NULL`,
          [session.sessionId],
        );
        await refresh.query(`INSERT INTO refresh_tokens (session_id, token_hash) VALUES ($1, $2)`, [
          session.sessionId,
          newToken().hash,
        ]);
        await refresh.commitTransaction();

        expect(await renewing).toEqual(['pwd']);
      } finally {
        await refresh.release();
      }
      const [{ n }] = await query<{ n: string }>(
        `SELECT count(*) AS n FROM refresh_tokens WHERE session_id = $1 AND rotated_at IS NULL`,
        [session.sessionId],
      );
      expect(Number(n)).toBe(1);
    });

    it('lists the live sessions of the user, the given one first, up to the limit', async () => {
      const { userId, sessionId: oldest } = await login();
      clock.advance(1000);
      const newer = await login(undefined, userId);
      await rotate(newer.first.token);
      const ended = await login(undefined, userId);
      await sessions.revokeOwned(userId, ended.sessionId, 'ended_by_user', clock.now());
      await login(new Date(clock.nowMs() - 1000), userId);
      await login();

      const listed = await sessions.listLive(userId, oldest, clock.now(), 10);
      expect(listed.map((session) => session.id)).toEqual([oldest, newer.sessionId]);
      expect(listed[0]).toMatchObject({ ipAddress: '10.0.0.1', userAgent: 'spec/1', mfa: false });
      expect(await sessions.listLive(userId, newer.sessionId, clock.now(), 1)).toHaveLength(1);
    });

    it("ends only a live session of the user's own", async () => {
      const mine = await login();
      const theirs = await login();
      expect(await sessions.revokeOwned(mine.userId, theirs.sessionId, 'x', clock.now())).toBe(
        false,
      );
      expect(await sessions.revokeOwned(mine.userId, mine.sessionId, 'x', clock.now())).toBe(true);
      expect(await sessions.revokeOwned(mine.userId, mine.sessionId, 'x', clock.now())).toBe(false);
      expect((await sessionRow(theirs.sessionId)).revoked_at).toBeNull();
    });
  });
});
