import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  bearer,
  clientAddress,
  login,
  registerUser,
  type RegisteredUser,
} from '../factories/users.factory.js';
import { json, startTestApp, TEST_REDIS_URL, type TestApp } from '../support/test-app.js';

const CHROME_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const FIREFOX_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';

interface Pair {
  accessToken: string;
  refreshToken: string;
}

interface ListedSession {
  id: string;
  current: boolean;
  createdAt: string;
  lastUsedAt: string;
  ip: string | null;
  userAgent: string | null;
  device: { browser: string | null; os: string | null };
  mfa: boolean;
}

function sessionIdOf(accessToken: string): string {
  return (
    JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString()) as {
      sid: string;
    }
  ).sid;
}

// Issue 13, item 3: the sessions page, on two instances sharing Redis, so that an ended
// session's access tokens are seen to stop on every instance at once.
describe('sessions page', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    const env = {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `is-test:${process.env.TEST_RUN_ID}:${randomBytes(4).toString('hex')}`,
    };
    a = await startTestApp({ env });
    b = await startTestApp({ env, databaseUrl: a.config.database.url });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const list = (api: TestApp, token: string) => api.fetch('/api/v1/auth/sessions', bearer(token));
  const end = (api: TestApp, token: string, id: string) =>
    api.fetch(`/api/v1/auth/sessions/${id}`, { method: 'DELETE', ...bearer(token) });
  const revokeOthers = (api: TestApp, token: string) =>
    api.fetch('/api/v1/auth/sessions/revoke-others', { method: 'POST', ...bearer(token) });
  const me = (api: TestApp, token: string) => api.fetch('/api/v1/users/me', bearer(token));
  const refresh = (api: TestApp, refreshToken: string) =>
    api.fetch('/api/v1/auth/refresh', json({ refreshToken }));

  async function signIn(api: TestApp, user: RegisteredUser, headers: Record<string, string> = {}) {
    const response = await login(api, user.email, user.password, headers);
    expect(response.status).toBe(200);
    return (await response.json()) as Pair;
  }

  /** Each instance holds the user's access state in its cache, as a busy user's would. */
  async function warm(...tokens: string[]) {
    for (const api of [a, b]) {
      for (const token of tokens) expect((await me(api, token)).status).toBe(200);
    }
  }

  it('lists the live sessions with the current one marked, the device, address and times', async () => {
    const user = await registerUser(a, {
      headers: { 'user-agent': CHROME_MAC, 'x-forwarded-for': '203.0.113.7' },
    });
    const laptop = await signIn(b, user, {
      'user-agent': FIREFOX_WINDOWS,
      'x-forwarded-for': '198.51.100.20',
    });
    const ended = await signIn(a, user);
    expect(
      (await a.fetch('/api/v1/auth/logout', json({ refreshToken: ended.refreshToken }))).status,
    ).toBe(204);
    await registerUser(a);

    const response = await list(b, user.accessToken);
    expect(response.status).toBe(200);
    const sessions = (await response.json()) as ListedSession[];
    expect(sessions).toEqual([
      {
        id: sessionIdOf(user.accessToken),
        current: true,
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String),
        ip: '203.0.113.7',
        userAgent: CHROME_MAC,
        device: { browser: 'Chrome 120', os: 'macOS 10.15.7' },
        mfa: false,
      },
      {
        id: sessionIdOf(laptop.accessToken),
        current: false,
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String),
        ip: '198.51.100.20',
        userAgent: FIREFOX_WINDOWS,
        device: { browser: 'Firefox 121', os: 'Windows 10' },
        mfa: false,
      },
    ]);
    for (const session of sessions) {
      expect(new Date(session.createdAt).toISOString()).toBe(session.createdAt);
      expect(new Date(session.lastUsedAt).toISOString()).toBe(session.lastUsedAt);
    }
    const fromLaptop = (await (await list(a, laptop.accessToken)).json()) as ListedSession[];
    expect(fromLaptop.map((session) => [session.id, session.current])).toEqual([
      [sessionIdOf(laptop.accessToken), true],
      [sessionIdOf(user.accessToken), false],
    ]);
  });

  it("ends one session: its refresh and access tokens stop at once on every instance, the others' go on", async () => {
    const user = await registerUser(a);
    const phone = await signIn(b, user);
    await warm(user.accessToken, phone.accessToken);

    expect((await end(a, user.accessToken, sessionIdOf(phone.accessToken))).status).toBe(204);

    for (const api of [a, b]) {
      expect((await me(api, phone.accessToken)).status).toBe(401);
      expect((await me(api, user.accessToken)).status).toBe(200);
    }
    expect((await refresh(b, phone.refreshToken)).status).toBe(401);
    expect((await refresh(b, user.refreshToken)).status).toBe(200);
    const listed = (await (await list(b, user.accessToken)).json()) as ListedSession[];
    expect(listed.map((session) => session.id)).toEqual([sessionIdOf(user.accessToken)]);
  });

  it('ends the current session too, which signs the caller out', async () => {
    const user = await registerUser(a);
    await warm(user.accessToken);
    expect((await end(b, user.accessToken, sessionIdOf(user.accessToken))).status).toBe(204);
    expect((await me(a, user.accessToken)).status).toBe(401);
    expect((await refresh(a, user.refreshToken)).status).toBe(401);
  });

  it("answers 404 with one body to another user's session, an unknown id and an ended one", async () => {
    const user = await registerUser(a);
    const other = await registerUser(a);
    const ended = await signIn(a, user);
    expect((await end(a, user.accessToken, sessionIdOf(ended.accessToken))).status).toBe(204);

    const bodies: unknown[] = [];
    for (const id of [
      sessionIdOf(other.accessToken),
      randomUUID(),
      sessionIdOf(ended.accessToken),
      sessionIdOf(other.accessToken).toUpperCase(),
    ]) {
      const response = await end(b, user.accessToken, id);
      expect(response.status).toBe(404);
      const { requestId, ...body } = (await response.json()) as { requestId: string };
      expect(requestId).toEqual(expect.any(String));
      bodies.push(body);
    }
    expect(bodies[0]).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'Session not found',
    });
    for (const body of bodies) expect(body).toEqual(bodies[0]);
    // The other user's session was not touched.
    expect((await me(a, other.accessToken)).status).toBe(200);
    expect((await end(a, user.accessToken, 'not-a-session')).status).toBe(400);
  });

  it('revoke-others keeps only the current session, on every instance', async () => {
    const user = await registerUser(a);
    const phone = await signIn(b, user, clientAddress());
    const laptop = await signIn(a, user, clientAddress());
    await warm(user.accessToken, phone.accessToken, laptop.accessToken);

    expect((await revokeOthers(b, user.accessToken)).status).toBe(204);

    for (const api of [a, b]) {
      expect((await me(api, phone.accessToken)).status).toBe(401);
      expect((await me(api, laptop.accessToken)).status).toBe(401);
      expect((await me(api, user.accessToken)).status).toBe(200);
    }
    expect((await refresh(a, phone.refreshToken)).status).toBe(401);
    expect((await refresh(a, laptop.refreshToken)).status).toBe(401);
    const listed = (await (await list(a, user.accessToken)).json()) as ListedSession[];
    expect(listed.map((session) => [session.id, session.current])).toEqual([
      [sessionIdOf(user.accessToken), true],
    ]);
    expect((await refresh(b, user.refreshToken)).status).toBe(200);
  });

  it('needs an access token', async () => {
    expect((await a.fetch('/api/v1/auth/sessions')).status).toBe(401);
    expect(
      (await a.fetch(`/api/v1/auth/sessions/${randomUUID()}`, { method: 'DELETE' })).status,
    ).toBe(401);
    expect((await a.fetch('/api/v1/auth/sessions/revoke-others', { method: 'POST' })).status).toBe(
      401,
    );
  });
});
