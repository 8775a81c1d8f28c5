import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { ManualClock } from '../../../test/support/manual-clock.js';
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

  async function createUser(): Promise<string> {
    const [{ id }] = await query<{ id: string }>(
      `INSERT INTO users (email, password_hash, name) VALUES ($1, 'x', 'Spec') RETURNING id`,
      [`spec-${randomBytes(6).toString('hex')}@example.com`],
    );
    return id;
  }

  /** A user with one session; returns the session's first refresh token. */
  async function login(expiresAt = new Date(clock.nowMs() + 86_400_000)) {
    const userId = await createUser();
    const first = newToken();
    const sessionId = await sessions.create(userId, meta, expiresAt, first.hash);
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
});
