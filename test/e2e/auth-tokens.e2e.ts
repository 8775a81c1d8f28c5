import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { bearer, login, registerUser, type RegisteredUser } from '../factories/users.factory.js';
import { ManualClock } from '../support/manual-clock.js';
import { json, startTestApp, TEST_JWT_SECRET, type TestApp } from '../support/test-app.js';

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function sign(header: object, payload: object, secret = TEST_JWT_SECRET): string {
  const body = `${b64(header)}.${b64(payload)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<
    string,
    unknown
  >;
}

async function refresh(api: TestApp, refreshToken: string) {
  return api.fetch('/api/v1/auth/refresh', json({ refreshToken }));
}

describe('access and refresh tokens', () => {
  let api: TestApp;
  let user: RegisteredUser;
  const clock = new ManualClock();

  beforeAll(async () => {
    api = await startTestApp({ env: { REFRESH_REUSE_GRACE_SECONDS: '1' }, clock });
    user = await registerUser(api);
  });
  afterAll(() => api.close());

  const me = (token: string) => api.fetch('/api/v1/users/me', bearer(token));

  it('issues an HS256 access token with exp, iat, iss, aud, sub, role and token version', async () => {
    const header = JSON.parse(Buffer.from(user.accessToken.split('.')[0], 'base64url').toString());
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = claimsOf(user.accessToken);
    expect(claims).toMatchObject({
      sub: user.id,
      role: 'user',
      tv: 0,
      iss: 'insightsheet-api',
      aud: 'insightsheet',
    });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(900);
    expect((await me(user.accessToken)).status).toBe(200);
  });

  describe('refuses forged and foreign tokens', () => {
    const valid = () => claimsOf(user.accessToken);
    const now = () => Math.floor(Date.now() / 1000);

    it.each([
      ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(valid())}.`],
      [
        'alg none with a signature',
        () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(valid())}.abc`,
      ],
      [
        'HS512',
        () => {
          const body = `${b64({ alg: 'HS512', typ: 'JWT' })}.${b64(valid())}`;
          return `${body}.${createHmac('sha512', TEST_JWT_SECRET).update(body).digest('base64url')}`;
        },
      ],
      [
        'a wrong key',
        () =>
          sign(
            { alg: 'HS256', typ: 'JWT' },
            valid(),
            'another-secret-another-secret-another-secret',
          ),
      ],
      [
        'an edited payload',
        () => {
          const [header, , signature] = user.accessToken.split('.');
          return `${header}.${b64({ ...valid(), role: 'admin' })}.${signature}`;
        },
      ],
      [
        'an expired token',
        () =>
          sign({ alg: 'HS256', typ: 'JWT' }, { ...valid(), iat: now() - 1000, exp: now() - 10 }),
      ],
      [
        'a wrong audience',
        () => sign({ alg: 'HS256', typ: 'JWT' }, { ...valid(), aud: 'someone-else' }),
      ],
      ['a wrong issuer', () => sign({ alg: 'HS256', typ: 'JWT' }, { ...valid(), iss: 'evil' })],
      ['a stale token version', () => sign({ alg: 'HS256', typ: 'JWT' }, { ...valid(), tv: 7 })],
      [
        'a token that is not an access token',
        () => sign({ alg: 'HS256', typ: 'JWT' }, { ...valid(), typ: 'refresh' }),
      ],
      ['the refresh token', () => user.refreshToken],
      ['garbage', () => 'not.a.jwt'],
    ])('%s -> 401', async (_name, make) => {
      const response = await me(make());
      expect(response.status).toBe(401);
      expect(((await response.json()) as { message: string }).message).toBe(
        'Invalid or expired access token',
      );
    });

    it('a correctly signed token for the real key still works (the cases above are not vacuous)', async () => {
      expect((await me(sign({ alg: 'HS256', typ: 'JWT' }, valid()))).status).toBe(200);
    });

    it('never accepts an access token as a refresh token', async () => {
      expect((await refresh(api, user.accessToken)).status).toBe(401);
    });
  });

  describe('rotation', () => {
    it('rotates on every refresh: the new pair works and the old refresh token is spent', async () => {
      const session = await registerUser(api);
      const first = await refresh(api, session.refreshToken);
      expect(first.status).toBe(200);
      expect(first.headers.get('cache-control')).toBe('no-store');
      const pair = (await first.json()) as {
        accessToken: string;
        refreshToken: string;
        expiresIn: number;
      };
      expect(pair.refreshToken).not.toBe(session.refreshToken);
      expect(pair.expiresIn).toBe(900);
      expect((await me(pair.accessToken)).status).toBe(200);
      const second = await refresh(api, pair.refreshToken);
      expect(second.status).toBe(200);
    });

    it('gives two tabs refreshing at once the same new token', async () => {
      const session = await registerUser(api);
      const [a, b] = await Promise.all([
        refresh(api, session.refreshToken),
        refresh(api, session.refreshToken),
      ]);
      expect([a.status, b.status]).toEqual([200, 200]);
      const tokenA = ((await a.json()) as { refreshToken: string }).refreshToken;
      const tokenB = ((await b.json()) as { refreshToken: string }).refreshToken;
      expect(tokenA).toBe(tokenB);
      expect((await refresh(api, tokenA)).status).toBe(200);
    });

    it('revokes the whole session when a rotated token is presented after the grace window', async () => {
      const session = await registerUser(api);
      const rotated = (await (await refresh(api, session.refreshToken)).json()) as {
        refreshToken: string;
      };
      clock.advance(1300);
      const replay = await refresh(api, session.refreshToken);
      expect(replay.status).toBe(401);
      // The thief's replay ended the session: the legitimate newer token is dead too.
      expect((await refresh(api, rotated.refreshToken)).status).toBe(401);
      const [row] = await api.query<{ revoked_reason: string }>(
        `SELECT revoked_reason FROM user_sessions WHERE user_id = $1`,
        [session.id],
      );
      expect(row.revoked_reason).toBe('refresh_token_reused');
      // The access tokens issued in that session are refused too.
      expect((await me(session.accessToken)).status).toBe(401);
      // Other logins of the same user are untouched.
      const other = (await (await login(api, session.email, session.password)).json()) as {
        refreshToken: string;
      };
      expect((await refresh(api, other.refreshToken)).status).toBe(200);
    });

    it('refuses unknown and expired refresh tokens', async () => {
      expect((await refresh(api, 'x'.repeat(43))).status).toBe(401);
      const session = await registerUser(api);
      await api.query(
        `UPDATE user_sessions SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
        [session.id],
      );
      expect((await refresh(api, session.refreshToken)).status).toBe(401);
    });

    it('keeps the session expiry absolute across rotations', async () => {
      const session = await registerUser(api);
      const [before] = await api.query<{ expires_at: Date }>(
        `SELECT expires_at FROM user_sessions WHERE user_id = $1`,
        [session.id],
      );
      await refresh(api, session.refreshToken);
      const [after] = await api.query<{ expires_at: Date }>(
        `SELECT expires_at FROM user_sessions WHERE user_id = $1`,
        [session.id],
      );
      expect(after.expires_at.getTime()).toBe(before.expires_at.getTime());
      const days = (before.expires_at.getTime() - clock.nowMs()) / 86_400_000;
      expect(days).toBeGreaterThan(29.9);
      expect(days).toBeLessThanOrEqual(30);
    });

    it('stores only hashes of refresh tokens', async () => {
      const session = await registerUser(api);
      const rows = await api.query<{ token_hash: Buffer }>(
        `SELECT t.token_hash FROM refresh_tokens t JOIN user_sessions s ON s.id = t.session_id WHERE s.user_id = $1`,
        [session.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].token_hash).toHaveLength(32);
      expect(rows[0].token_hash.toString('base64url')).not.toBe(session.refreshToken);
    });
  });

  describe('sessions', () => {
    it('logout revokes that session only', async () => {
      const session = await registerUser(api);
      const second = (await (await login(api, session.email, session.password)).json()) as {
        refreshToken: string;
      };
      const response = await api.fetch(
        '/api/v1/auth/logout',
        json({ refreshToken: session.refreshToken }),
      );
      expect(response.status).toBe(204);
      expect((await refresh(api, session.refreshToken)).status).toBe(401);
      expect((await refresh(api, second.refreshToken)).status).toBe(200);
      expect(
        (await api.fetch('/api/v1/auth/logout', json({ refreshToken: 'unknown-token' }))).status,
      ).toBe(204);
    });

    it('logout-all revokes every session and cuts off access tokens at once', async () => {
      const session = await registerUser(api);
      const second = (await (await login(api, session.email, session.password)).json()) as {
        accessToken: string;
        refreshToken: string;
      };
      expect((await me(second.accessToken)).status).toBe(200);
      const response = await api.fetch('/api/v1/auth/logout-all', {
        method: 'POST',
        ...bearer(session.accessToken),
      });
      expect(response.status).toBe(204);
      expect((await me(session.accessToken)).status).toBe(401);
      expect((await me(second.accessToken)).status).toBe(401);
      expect((await refresh(api, session.refreshToken)).status).toBe(401);
      expect((await refresh(api, second.refreshToken)).status).toBe(401);
      expect((await login(api, session.email, session.password)).status).toBe(200);
    });

    it('a login drops the sessions that ended more than a day ago, and keeps the rest', async () => {
      const owner = await registerUser(api);
      const ended = async (column: 'expires_at' | 'revoked_at', ago: string) =>
        (
          await api.query<{ id: string }>(
            `INSERT INTO user_sessions (user_id, expires_at, last_used_at, ${column === 'revoked_at' ? 'revoked_at, ' : ''}created_at)
             VALUES ($1, ${column === 'expires_at' ? `now() - interval '${ago}'` : `now() + interval '1 day'`}, now(),
                     ${column === 'revoked_at' ? `now() - interval '${ago}', ` : ''}now() - interval '30 days')
             RETURNING id`,
            [owner.id],
          )
        )[0].id;
      const expiredLongAgo = await ended('expires_at', '2 days');
      const revokedLongAgo = await ended('revoked_at', '2 days');
      const revokedRecently = await ended('revoked_at', '1 hour');
      expect((await login(api, owner.email, owner.password)).status).toBe(200);

      const left = (
        await api.query<{ id: string }>(`SELECT id FROM user_sessions WHERE user_id = $1`, [
          owner.id,
        ])
      ).map((row) => row.id);
      expect(left).not.toContain(expiredLongAgo);
      expect(left).not.toContain(revokedLongAgo);
      expect(left).toContain(revokedRecently);
      // The registration's session and the new login's.
      expect(left).toHaveLength(3);
    });

    it('logout-all needs an access token', async () => {
      expect((await api.fetch('/api/v1/auth/logout-all', { method: 'POST' })).status).toBe(401);
    });
  });
});
