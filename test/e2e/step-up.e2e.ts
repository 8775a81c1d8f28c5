import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import {
  bearer,
  clientAddress,
  login,
  registerUser,
  strongPassword,
} from '../factories/users.factory.js';
import { ManualClock } from '../support/manual-clock.js';
import { json, startTestApp, TEST_JWT_SECRET, type TestApp } from '../support/test-app.js';

const MINUTE = 60_000;

interface Pair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

function claimsOf(token: string): { sid: string; auth_time?: number; [claim: string]: unknown } {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

// Issue 13, item 4: access tokens record when the user last proved who they are; sensitive
// routes need that within ten minutes (or the password in the body), and reauthentication
// renews it. Time moves with the app's manual clock.
describe('step-up authentication', () => {
  let api: TestApp;
  const clock = new ManualClock();

  beforeAll(async () => {
    api = await startTestApp({ clock });
  });
  afterAll(() => api.close());

  const nowSeconds = () => Math.floor(clock.nowMs() / 1000);
  const send = (
    path: string,
    token: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) =>
    api.fetch(path, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const reauthenticate = (token: string, body: unknown, headers: Record<string, string> = {}) =>
    send('/api/v1/auth/reauthenticate', token, body, headers);
  const revokeOthers = (token: string) => send('/api/v1/auth/sessions/revoke-others', token);
  const refresh = (refreshToken: string) =>
    api.fetch('/api/v1/auth/refresh', json({ refreshToken }));

  it('records auth_time at sign-in, in seconds, and keeps it through refreshes', async () => {
    const signedUpAt = nowSeconds();
    const user = await registerUser(api);
    const registered = claimsOf(user.accessToken).auth_time!;
    expect(registered).toBeGreaterThanOrEqual(signedUpAt);
    expect(registered).toBeLessThanOrEqual(nowSeconds());

    clock.advance(5 * MINUTE);
    const once = (await (await refresh(user.refreshToken)).json()) as Pair;
    clock.advance(5 * MINUTE);
    const twice = (await (await refresh(once.refreshToken)).json()) as Pair;
    expect(claimsOf(once.accessToken).auth_time).toBe(registered);
    expect(claimsOf(twice.accessToken).auth_time).toBe(registered);

    // The clock runs on while the password is checked: the second of sign-in lies between.
    const before = nowSeconds();
    const loggedIn = (await (await login(api, user.email, user.password)).json()) as Pair;
    expect(claimsOf(loggedIn.accessToken).auth_time).toBeGreaterThanOrEqual(before);
    expect(claimsOf(loggedIn.accessToken).auth_time).toBeLessThanOrEqual(nowSeconds());
  });

  it('lets revoke-others through within ten minutes of signing in', async () => {
    const user = await registerUser(api);
    clock.advance(9 * MINUTE);
    expect((await revokeOthers(user.accessToken)).status).toBe(204);
  });

  it('refuses revoke-others later with reauthentication_required, until the user reauthenticates', async () => {
    const user = await registerUser(api);
    const phone = (await (await login(api, user.email, user.password)).json()) as Pair;
    clock.advance(11 * MINUTE);

    const refused = await revokeOthers(user.accessToken);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({
      statusCode: 403,
      error: 'reauthentication_required',
      message: expect.stringContaining('/api/v1/auth/reauthenticate'),
      requestId: refused.headers.get('x-request-id'),
    });
    // A refresh does not count as proving who one is.
    const refreshed = (await (await refresh(user.refreshToken)).json()) as Pair;
    expect((await revokeOthers(refreshed.accessToken)).status).toBe(403);

    const response = await reauthenticate(refreshed.accessToken, { password: user.password });
    expect(response.status).toBe(200);
    const renewed = (await response.json()) as Pair;
    expect(renewed).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      expiresIn: 900,
    });
    expect(claimsOf(renewed.accessToken)).toMatchObject({
      sid: claimsOf(user.accessToken).sid,
      auth_time: nowSeconds(),
    });

    expect((await revokeOthers(renewed.accessToken)).status).toBe(204);
    expect((await api.fetch('/api/v1/users/me', bearer(phone.accessToken))).status).toBe(401);

    // The fresh authentication survives the next refresh.
    clock.advance(2 * MINUTE);
    const after = (await (await refresh(renewed.refreshToken)).json()) as Pair;
    expect(claimsOf(after.accessToken).auth_time).toBe(claimsOf(renewed.accessToken).auth_time);
    expect((await revokeOthers(after.accessToken)).status).toBe(204);
  });

  it('refuses ending another session one by one later, as revoke-others, but not ending the current one', async () => {
    const user = await registerUser(api);
    const phone = (await (await login(api, user.email, user.password)).json()) as Pair;
    const phoneSession = claimsOf(phone.accessToken).sid as string;
    clock.advance(11 * MINUTE);
    const end = (token: string, id: string) =>
      api.fetch(`/api/v1/auth/sessions/${id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });

    const refused = await end(user.accessToken, phoneSession);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'reauthentication_required' });
    expect((await refresh(phone.refreshToken)).status).toBe(200);
    // Ending one's own session is a logout.
    expect((await end(phone.accessToken, phoneSession)).status).toBe(204);
  });

  it('answers a null password with 400, not counted as a wrong one', async () => {
    const user = await registerUser(api);
    expect((await reauthenticate(user.accessToken, { password: null })).status).toBe(400);
  });

  it('rotates the refresh token: the replaced one follows the rotation rules', async () => {
    const user = await registerUser(api);
    const renewed = (await (
      await reauthenticate(user.accessToken, { password: user.password })
    ).json()) as Pair;
    // Within the grace window (a second tab), the replaced token yields the same successor.
    const again = (await (await refresh(user.refreshToken)).json()) as Pair;
    expect(again.refreshToken).toBe(renewed.refreshToken);
    // Later, it is a replay: the session ends.
    clock.advance(MINUTE);
    expect((await refresh(user.refreshToken)).status).toBe(401);
    expect((await refresh(renewed.refreshToken)).status).toBe(401);
  });

  it('answers a wrong password with 401, counted toward the sign-in lock', async () => {
    const user = await registerUser(api);
    const address = clientAddress();
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const wrong = await reauthenticate(
        user.accessToken,
        { password: 'not-the-password' },
        address,
      );
      expect(wrong.status).toBe(401);
      expect(((await wrong.json()) as { message: string }).message).toBe('Password is incorrect');
    }
    const locked = await reauthenticate(user.accessToken, { password: user.password }, address);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await login(api, user.email, user.password)).status).toBe(429);
  });

  it('gives back the count of a right password, as sign-in does', async () => {
    const user = await registerUser(api);
    for (let attempt = 0; attempt < 4; attempt += 1) {
      expect((await reauthenticate(user.accessToken, { password: 'nope-nope' })).status).toBe(401);
    }
    expect((await reauthenticate(user.accessToken, { password: user.password })).status).toBe(200);
    expect((await login(api, user.email, user.password)).status).toBe(200);
  });

  it.each([
    ['an unknown field', { password: 'x', remember: true }, /property remember should not exist/],
    ['no method', {}, /exactly one of password, code or webauthn/],
    ['two methods', { password: 'x', code: '123456' }, /exactly one of password, code or webauthn/],
    [
      'a code, from an account without two-step verification',
      { code: '123456' },
      /Two-step verification is not on for this account/,
    ],
    ['a passkey assertion missing its fields', { webauthn: { id: 'x' } }, /webauthn\.rawId/],
    ['a password that is not text', { password: 12345678 }, /password must be a string/],
  ])('answers 400 to %s', async (_name, body, message) => {
    const user = await registerUser(api);
    const response = await reauthenticate(user.accessToken, body);
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toMatch(message);
  });

  it('needs an access token', async () => {
    const response = await api.fetch('/api/v1/auth/reauthenticate', json({ password: 'x' }));
    expect(response.status).toBe(401);
  });

  it('refuses a token from before auth_time existed on sensitive routes only', async () => {
    const user = await registerUser(api);
    const claims = claimsOf(user.accessToken);
    delete claims.auth_time;
    const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
    const older = `${body}.${createHmac('sha256', TEST_JWT_SECRET).update(body).digest('base64url')}`;
    expect((await api.fetch('/api/v1/users/me', bearer(older))).status).toBe(200);
    expect((await revokeOthers(older)).status).toBe(403);
  });

  it('takes the password in the body instead on the routes that take one', async () => {
    const user = await registerUser(api);
    clock.advance(11 * MINUTE);
    const newPassword = strongPassword();
    const changed = await send('/api/v1/users/me/password', user.accessToken, {
      currentPassword: user.password,
      newPassword,
    });
    expect(changed.status).toBe(204);

    const again = (await (await login(api, user.email, newPassword)).json()) as Pair;
    clock.advance(11 * MINUTE);
    const erased = await api.fetch('/api/v1/users/me', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${again.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ password: newPassword }),
    });
    expect(erased.status).toBe(204);
  });
});
