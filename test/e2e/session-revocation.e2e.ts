import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CACHE_MANAGER } from '@nestjs/cache-manager';
import type { Cache } from 'cache-manager';
import { randomBytes } from 'node:crypto';
import { AccessStateService } from '../../src/modules/auth/access-state.service.js';
import { bearer, login, registerUser } from '../factories/users.factory.js';
import { eventually } from '../support/eventually.js';
import { json, startTestApp, TEST_REDIS_URL, type TestApp } from '../support/test-app.js';

// Issue 10, item 5: logout ends that login's access token at once, on every instance, while
// the user's other logins keep working.
describe.each([
  ['one instance, in-process cache', false],
  ['two instances sharing Redis', true],
])('logout ends the access token (%s)', (_name, shared) => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    const env = shared
      ? {
          REDIS_URL: TEST_REDIS_URL,
          REDIS_KEY_PREFIX: `is-test:${process.env.TEST_RUN_ID}:${randomBytes(4).toString('hex')}`,
        }
      : { REDIS_URL: undefined };
    a = await startTestApp({ env });
    b = shared ? await startTestApp({ env, databaseUrl: a.config.database.url }) : a;
  });
  afterAll(async () => {
    if (b !== a) await b.close();
    await a.close();
  });

  const get = (api: TestApp, path: string, token: string) => api.fetch(path, bearer(token));
  const logout = (api: TestApp, refreshToken: string) =>
    api.fetch('/api/v1/auth/logout', json({ refreshToken }));

  it('answers 401 to the logged-out token right after logout, and 200 to the other session', async () => {
    const user = await registerUser(a);
    const other = (await (await login(b, user.email, user.password)).json()) as {
      accessToken: string;
    };
    // Both instances hold the user's access state in their cache before the logout.
    for (const api of [a, b]) {
      expect((await get(api, '/api/v1/users/me', user.accessToken)).status).toBe(200);
      expect((await get(api, '/api/v1/users/me', other.accessToken)).status).toBe(200);
    }

    expect((await logout(a, user.refreshToken)).status).toBe(204);

    for (const api of [a, b]) {
      expect((await get(api, '/api/v1/users/me', user.accessToken)).status).toBe(401);
      expect((await get(api, '/api/v1/users/me/export', user.accessToken)).status).toBe(401);
      expect((await get(api, '/api/v1/users/me', other.accessToken)).status).toBe(200);
    }
  });

  it('rebuilds the revoked sessions from the database when the cache has lost the state', async () => {
    const user = await registerUser(a);
    const other = (await (await login(a, user.email, user.password)).json()) as {
      accessToken: string;
    };
    expect((await logout(a, user.refreshToken)).status).toBe(204);
    await b.app.get(AccessStateService).forget(user.id);

    expect((await get(b, '/api/v1/users/me', user.accessToken)).status).toBe(401);
    expect((await get(b, '/api/v1/users/me', other.accessToken)).status).toBe(200);
  });

  it('does not let a stale copy of the state, written back after the logout, revive the session', async () => {
    const user = await registerUser(a);
    const cache = b.app.get<Cache>(CACHE_MANAGER);
    const key = `access:${user.id}`;
    expect((await get(b, '/api/v1/users/me', user.accessToken)).status).toBe(200);
    const before = await cache.get(key);
    expect(before).toBeTruthy();

    expect((await logout(a, user.refreshToken)).status).toBe(204);
    // A request on another instance that read the state before the logout committed.
    await cache.set(key, before, 60_000);

    await eventually(
      'the other instance to refuse the access token',
      async () => (await get(b, '/api/v1/users/me', user.accessToken)).status === 401,
    );
  });

  it('ends the access tokens of a session whose replayed refresh token revoked it', async () => {
    const user = await registerUser(a);
    const other = (await (await login(a, user.email, user.password)).json()) as {
      accessToken: string;
    };
    const refresh = (api: TestApp, refreshToken: string) =>
      api.fetch('/api/v1/auth/refresh', json({ refreshToken }));
    expect((await refresh(a, user.refreshToken)).status).toBe(200);
    // Past the reuse grace window, the spent token is a replay.
    await a.query(
      `UPDATE refresh_tokens SET rotated_at = now() - interval '1 hour'
        WHERE session_id IN (SELECT id FROM user_sessions WHERE user_id = $1)`,
      [user.id],
    );
    expect((await refresh(b, user.refreshToken)).status).toBe(401);

    expect((await get(a, '/api/v1/users/me', user.accessToken)).status).toBe(401);
    expect((await get(b, '/api/v1/users/me', user.accessToken)).status).toBe(401);
    expect((await get(b, '/api/v1/users/me', other.accessToken)).status).toBe(200);
  });
});
