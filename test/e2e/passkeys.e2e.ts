import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { generateSync } from 'otplib';
import { bearer, clientAddress, registerUser } from '../factories/users.factory.js';
import { eventually } from '../support/eventually.js';
import { ManualClock } from '../support/manual-clock.js';
import {
  CHROMIUM,
  chromiumInstalled,
  launchChromium,
  TestPageServer,
  VirtualDevice,
  type ApiAnswer,
} from '../support/passkey-browser.js';
import { TestSmtpServer } from '../support/smtp.js';
import { json, startTestApp, type TestApp } from '../support/test-app.js';

const MINUTE = 60_000;

interface Pair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}
interface SignedIn extends Pair {
  user: { id: string; email: string };
}
interface Passkey {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}
interface AssertionJson {
  id: string;
  rawId: string;
  type: string;
  response: {
    clientDataJSON: string;
    authenticatorData: string;
    signature: string;
    userHandle?: string;
  };
  clientExtensionResults: Record<string, unknown>;
  authenticatorAttachment?: string;
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

function withClientData(
  assertion: AssertionJson,
  change: (clientData: Record<string, unknown>) => void,
): AssertionJson {
  const clientData = JSON.parse(
    Buffer.from(assertion.response.clientDataJSON, 'base64url').toString(),
  ) as Record<string, unknown>;
  change(clientData);
  return {
    ...assertion,
    response: {
      ...assertion.response,
      clientDataJSON: Buffer.from(JSON.stringify(clientData)).toString('base64url'),
    },
  };
}

const MISSING =
  `Chromium is not installed at ${CHROMIUM} (apt-get install -y chromium chromium-driver; ` +
  `.ci/run installs it)`;

// Passkeys end to end, in a real browser: Debian's Chromium driven by playwright-core, with the
// Chrome DevTools Protocol's virtual authenticator. The test page on http://localhost:<port>
// (a secure context) calls the API from its own script, as the web app does.
if (!chromiumInstalled() && !process.env.CI) {
  describe.skip(`passkeys in a browser (skipped: ${MISSING})`, () => {
    it('registers and signs in with a passkey', () => undefined);
  });
} else {
  describe('passkeys in a browser', () => {
    let api: TestApp;
    let browser: Browser;
    const clock = new ManualClock();
    const smtp = new TestSmtpServer();
    const page = new TestPageServer();
    // On the RP id (localhost) and allowed by CORS, but not in WEBAUTHN_ORIGINS.
    const otherPage = new TestPageServer();
    const devices: VirtualDevice[] = [];

    beforeAll(async () => {
      if (!chromiumInstalled()) throw new Error(`CI is set: ${MISSING}`);
      await Promise.all([smtp.start(), page.start(), otherPage.start()]);
      api = await startTestApp({
        clock,
        env: {
          ...smtp.env,
          ALLOWED_ORIGINS: `${page.origin},${otherPage.origin}`,
          WEBAUTHN_RP_ID: 'localhost',
          WEBAUTHN_ORIGINS: page.origin,
        },
      });
      browser = await launchChromium();
    }, 60_000);
    afterAll(async () => {
      await Promise.all(devices.map((device) => device.close()));
      await browser?.close();
      await api?.close();
      await Promise.all([smtp.stop(), page.stop(), otherPage.stop()]);
    });

    const device = async (origin = page.origin) => {
      const opened = await VirtualDevice.open(browser, origin, api.url);
      devices.push(opened);
      return opened;
    };

    const send = (method: string, path: string, token?: string, body?: unknown) =>
      api.fetch(path, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...clientAddress(),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const passkeysOf = async (token: string) =>
      (await (await send('GET', '/api/v1/auth/passkeys', token)).json()) as Passkey[];
    const rowsOf = (userId: string) =>
      api.query<{ id: string; counter: string; last_used_at: Date | null }>(
        `SELECT id, counter, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY created_at`,
        [userId],
      );

    /** A user signed in with the password in the page, holding one passkey on `on`. */
    async function userWithPasskey(on: VirtualDevice, name = 'Laptop') {
      const user = await registerUser(api);
      const signedIn = await on.run<ApiAnswer<SignedIn>>('signIn', user.email, user.password);
      expect(signedIn.status).toBe(200);
      const added = await on.run<ApiAnswer<Passkey>>(
        'registerPasskey',
        signedIn.body.accessToken,
        name,
      );
      expect(added.status).toBe(201);
      return { user, tokens: signedIn.body, passkey: added.body };
    }

    it('registers a passkey from the page, lists it, and signs in with it alone after signing out', async () => {
      const laptop = await device();
      const user = await registerUser(api);
      const signedIn = await laptop.run<ApiAnswer<SignedIn>>('signIn', user.email, user.password);
      expect(signedIn.status).toBe(200);

      const added = await laptop.run<ApiAnswer<Passkey>>(
        'registerPasskey',
        signedIn.body.accessToken,
        'Work laptop',
      );
      expect(added).toEqual({
        status: 201,
        body: { id: expect.any(String), name: 'Work laptop', createdAt: expect.any(String) },
      });
      expect(await laptop.credentials()).toHaveLength(1);
      const notice = await smtp.waitForSubject(user.email, /passkey was added/);
      // The name is the sender's choice: a notice never carries it.
      expect(notice.text).not.toContain('Work laptop');

      const listed = await laptop.run<ApiAnswer<Passkey[]>>(
        'call',
        'GET',
        '/auth/passkeys',
        undefined,
        signedIn.body.accessToken,
      );
      expect(listed).toEqual({
        status: 200,
        body: [
          {
            id: added.body.id,
            name: 'Work laptop',
            createdAt: added.body.createdAt,
            lastUsedAt: null,
          },
        ],
      });

      const loggedOut = await laptop.run<ApiAnswer>('call', 'POST', '/auth/logout', {
        refreshToken: signedIn.body.refreshToken,
      });
      expect(loggedOut.status).toBe(204);

      const passkeySignIn = await laptop.run<ApiAnswer<SignedIn>>('signInWithPasskey');
      expect(passkeySignIn.status).toBe(200);
      expect(passkeySignIn.body).toEqual({
        user: expect.objectContaining({ id: user.id, email: user.email }),
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        expiresIn: 900,
      });
      const me = await api.fetch('/api/v1/users/me', bearer(passkeySignIn.body.accessToken));
      expect(me.status).toBe(200);
      expect(((await me.json()) as { id: string }).id).toBe(user.id);
      // A passkey is a strong factor on its own: the session records a second factor.
      const sessions = (await (
        await send('GET', '/api/v1/auth/sessions', passkeySignIn.body.accessToken)
      ).json()) as { current: boolean; mfa: boolean }[];
      expect(sessions.find((session) => session.current)).toMatchObject({ mfa: true });

      const [stored] = await passkeysOf(passkeySignIn.body.accessToken);
      expect(stored.lastUsedAt).toEqual(expect.any(String));
      await eventually('the passkey sign-in in the activity', async () => {
        const rows = await api.query<{ metadata: unknown }>(
          `SELECT metadata FROM user_activities WHERE user_id = $1 AND action = 'auth.login'`,
          [user.id],
        );
        return rows.some((row) => JSON.stringify(row.metadata) === '{"method":"passkey"}');
      });
    });

    it('refuses a credential that was never registered, from a second authenticator, with 401', async () => {
      const stranger = await device();
      const user = await registerUser(api);
      // The authenticator makes a credential for this site, but the page never sends it.
      await stranger.run('createCredential', user.accessToken);
      expect(await stranger.credentials()).toHaveLength(1);
      expect(await rowsOf(user.id)).toEqual([]);

      const refused = await stranger.run<ApiAnswer<{ message: string }>>('signInWithPasskey');
      expect(refused.status).toBe(401);
      expect(refused.body.message).toBe('This passkey was not accepted');
    });

    it('refuses a replayed assertion (the same response posted twice) with 400', async () => {
      const phone = await device();
      const { user } = await userWithPasskey(phone);
      const assertion = await phone.run<AssertionJson>('assertion');

      expect((await phone.run<ApiAnswer>('signInWith', assertion)).status).toBe(200);
      const [before] = await rowsOf(user.id);
      const replayed = await phone.run<ApiAnswer<{ message: string }>>('signInWith', assertion);
      expect(replayed.status).toBe(400);
      expect(replayed.body.message).toMatch(/challenge is unknown, used already or expired/);
      expect(await rowsOf(user.id)).toEqual([before]);
    });

    it('refuses an assertion whose challenge expired (WEBAUTHN_CHALLENGE_TTL_SECONDS)', async () => {
      const tablet = await device();
      const { user } = await userWithPasskey(tablet);
      const [before] = await rowsOf(user.id);
      const assertion = await tablet.run<AssertionJson>('assertion');
      clock.advance(5 * MINUTE + 1000);

      const refused = await tablet.run<ApiAnswer>('signInWith', assertion);
      expect(refused.status).toBe(400);
      expect(await rowsOf(user.id)).toEqual([before]);
      // The next ceremony, with a fresh challenge, works.
      expect((await tablet.run<ApiAnswer>('signInWithPasskey')).status).toBe(200);
    });

    it('refuses an assertion made on an origin outside WEBAUTHN_ORIGINS, and a modified clientDataJSON', async () => {
      const laptop = await device();
      const { user } = await userWithPasskey(laptop);
      const [before] = await rowsOf(user.id);

      // The same credential (same RP id, localhost), used from a page on another port.
      const elsewhere = await device(otherPage.origin);
      for (const credential of await laptop.credentials())
        await elsewhere.cdp.send('WebAuthn.addCredential', {
          authenticatorId: elsewhere.authenticatorId,
          credential,
        });
      const fromElsewhere = await elsewhere.run<ApiAnswer>('signInWithPasskey');
      expect(fromElsewhere.status).toBe(400);

      // An assertion from the right page whose clientDataJSON claims another origin.
      const genuine = await laptop.run<AssertionJson>('assertion');
      const forged = withClientData(genuine, (clientData) => {
        clientData.origin = otherPage.origin;
      });
      expect((await laptop.run<ApiAnswer>('signInWith', forged)).status).toBe(400);
      // Its challenge was used up by the refused attempt: the genuine one is refused too.
      expect((await laptop.run<ApiAnswer>('signInWith', genuine)).status).toBe(400);
      expect(await rowsOf(user.id)).toEqual([before]);
    });

    it('refuses malformed responses with 400 and unknown fields with 400, never a 500', async () => {
      const laptop = await device();
      const { user } = await userWithPasskey(laptop);
      const genuine = await laptop.run<AssertionJson>('assertion');
      const post = (body: unknown) =>
        api.fetch('/api/v1/auth/passkeys/login', json(body, clientAddress()));

      for (const body of [
        {},
        { response: 'text' },
        { response: { ...genuine, extra: true } },
        { response: { ...genuine, response: { ...genuine.response, attestationObject: 'AA' } } },
        { response: { ...genuine, type: 'password' } },
        { response: { ...genuine, response: { ...genuine.response, clientDataJSON: 'e30' } } },
        {
          response: {
            ...genuine,
            response: { ...genuine.response, clientDataJSON: 'bm90IGpzb24' },
          },
        },
        { response: { ...genuine, response: { ...genuine.response, signature: 'AAAA' } } },
      ])
        expect({ body, status: (await post(body)).status }).toEqual({ body, status: 400 });
      // A wrong signature used up its challenge: nothing else was written.
      expect((await rowsOf(user.id))[0].last_used_at).toBeNull();
      // (An account with no passkey yet, so the body is what is judged.)
      const fresh = await registerUser(api);
      const registrationAttempt = await send('POST', '/api/v1/auth/passkeys', fresh.accessToken, {
        response: { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: {} },
      });
      expect(registrationAttempt.status).toBe(400);
    });

    it('refuses a passkey whose signature counter went back (a copied credential), and records it', async () => {
      const original = await device();
      const { user } = await userWithPasskey(original);
      const [credential] = await original.credentials();
      expect((await original.run<ApiAnswer>('signInWithPasskey')).status).toBe(200);
      expect((await original.run<ApiAnswer>('signInWithPasskey')).status).toBe(200);
      const [used] = await rowsOf(user.id);
      expect(Number(used.counter)).toBeGreaterThan(0);

      // A copy of the credential as it was at registration, with its counter behind.
      const copy = await device();
      await copy.cdp.send('WebAuthn.addCredential', {
        authenticatorId: copy.authenticatorId,
        credential,
      });
      const refused = await copy.run<ApiAnswer<{ message: string }>>('signInWithPasskey');
      expect(refused.status).toBe(401);
      expect(refused.body.message).toBe('This passkey was not accepted');
      expect(await rowsOf(user.id)).toEqual([used]);
      await eventually('the counter regression in the activity', async () => {
        const rows = await api.query<{ metadata: Record<string, unknown> }>(
          `SELECT metadata FROM user_activities
            WHERE user_id = $1 AND action = 'auth.passkey_counter_regression'`,
          [user.id],
        );
        return rows.length === 1 && rows[0].metadata.storedCounter === Number(used.counter);
      });
    });

    it('refuses a deactivated account with the same 401 as an unknown passkey', async () => {
      const laptop = await device();
      const { user } = await userWithPasskey(laptop);
      await api.query(`UPDATE users SET is_active = false WHERE id = $1`, [user.id]);
      const refused = await laptop.run<ApiAnswer<{ message: string }>>('signInWithPasskey');
      expect(refused).toMatchObject({
        status: 401,
        body: { message: 'This passkey was not accepted' },
      });
    });

    it("renames and removes only the caller's own passkeys (404 for another user's)", async () => {
      const laptop = await device();
      const { tokens, passkey } = await userWithPasskey(laptop);
      const other = await registerUser(api);

      const rename = (token: string, id: string, name: unknown) =>
        send('PATCH', `/api/v1/auth/passkeys/${id}`, token, { name });
      expect((await rename(other.accessToken, passkey.id, 'Mine now')).status).toBe(404);
      expect(
        (await send('DELETE', `/api/v1/auth/passkeys/${passkey.id}`, other.accessToken)).status,
      ).toBe(404);
      expect((await passkeysOf(tokens.accessToken)).map(({ name }) => name)).toEqual(['Laptop']);

      expect((await rename(tokens.accessToken, passkey.id, '')).status).toBe(400);
      expect((await rename(tokens.accessToken, passkey.id, 'a\nb')).status).toBe(400);
      const renamed = await rename(tokens.accessToken, passkey.id, '  Home desktop ');
      expect(renamed.status).toBe(200);
      expect(await renamed.json()).toEqual({
        id: passkey.id,
        name: 'Home desktop',
        createdAt: passkey.createdAt,
        lastUsedAt: null,
      });
    });

    it('removes a passkey (with a notice) while a password remains, and refuses the last way to sign in with 409', async () => {
      const laptop = await device();
      const phone = await device();
      const { user, tokens, passkey } = await userWithPasskey(laptop, 'Laptop');
      // Adding a second passkey takes a session that used the first.
      const byPasskey = await laptop.run<ApiAnswer<SignedIn>>('signInWithPasskey');
      const second = await phone.run<ApiAnswer<Passkey>>(
        'registerPasskey',
        byPasskey.body.accessToken,
        'Phone',
      );
      expect(second.status).toBe(201);

      // With the password, removing a passkey is fine.
      const removed = await send(
        'DELETE',
        `/api/v1/auth/passkeys/${passkey.id}`,
        tokens.accessToken,
      );
      expect(removed.status).toBe(204);
      expect((await smtp.waitForSubject(user.email, /passkey was removed/)).text).not.toContain(
        'Laptop',
      );
      expect((await laptop.run<ApiAnswer>('signInWithPasskey')).status).toBe(401);

      // An account without a password (as passkey-only and social sign-in accounts are).
      await api.query(`UPDATE users SET password_hash = NULL WHERE id = $1`, [user.id]);
      const byPhone = await phone.run<ApiAnswer<SignedIn>>('signInWithPasskey');
      const third = await laptop.run<ApiAnswer<Passkey>>(
        'registerPasskey',
        byPhone.body.accessToken,
        'Laptop again',
      );
      expect(third.status).toBe(201);

      // Two passkeys and no password: removing both at once leaves exactly one.
      const both = await Promise.all(
        [second.body.id, third.body.id].map((id) =>
          send('DELETE', `/api/v1/auth/passkeys/${id}`, tokens.accessToken),
        ),
      );
      expect(both.map((response) => response.status).sort()).toEqual([204, 409]);
      const [last] = await passkeysOf(tokens.accessToken);
      const refused = await send('DELETE', `/api/v1/auth/passkeys/${last.id}`, tokens.accessToken);
      expect(refused.status).toBe(409);
      expect(((await refused.json()) as { message: string }).message).toMatch(
        /last way to sign in/,
      );
      expect(await passkeysOf(tokens.accessToken)).toEqual([last]);
    });

    it('renews a session with a passkey (step-up: POST /auth/reauthenticate with webauthn)', async () => {
      const laptop = await device();
      const phone = await device();
      const { tokens, passkey } = await userWithPasskey(laptop);
      const otherUser = await userWithPasskey(phone);
      clock.advance(11 * MINUTE);

      // Stale authentication: sensitive passkey routes ask for reauthentication.
      const stale = await send('DELETE', `/api/v1/auth/passkeys/${passkey.id}`, tokens.accessToken);
      expect(stale.status).toBe(403);
      expect(
        (await send('POST', '/api/v1/auth/passkeys/register/options', tokens.accessToken)).status,
      ).toBe(403);

      const reauthenticate = (webauthn: unknown) =>
        send('POST', '/api/v1/auth/reauthenticate', tokens.accessToken, { webauthn });
      // Another user's passkey proves nothing about this user.
      expect((await reauthenticate(await phone.run('assertion'))).status).toBe(401);
      expect((await reauthenticate({ id: 'AAAA' })).status).toBe(400);

      const renewed = await reauthenticate(await laptop.run('assertion'));
      expect(renewed.status).toBe(200);
      const pair = (await renewed.json()) as Pair;
      expect(claimsOf(pair.accessToken)).toMatchObject({
        sid: claimsOf(tokens.accessToken).sid,
        auth_time: Math.floor(clock.nowMs() / 1000),
      });
      const sessions = (await (
        await send('GET', '/api/v1/auth/sessions', pair.accessToken)
      ).json()) as {
        current: boolean;
        mfa: boolean;
      }[];
      expect(sessions.find((session) => session.current)).toMatchObject({ mfa: true });
      expect(
        (await send('POST', '/api/v1/auth/passkeys/register/options', pair.accessToken)).status,
      ).toBe(200);
      expect(
        (await send('DELETE', `/api/v1/auth/passkeys/${passkey.id}`, pair.accessToken)).status,
      ).toBe(204);
      expect(otherUser.passkey.id).not.toBe(passkey.id);
    });

    it("exports the user's passkeys without their keys, and erases them with the account", async () => {
      const laptop = await device();
      const { user, tokens, passkey } = await userWithPasskey(laptop);
      const exported = (await (
        await send('GET', '/api/v1/users/me/export', tokens.accessToken)
      ).json()) as { passkeys: unknown[] };
      expect(exported.passkeys).toEqual([
        { id: passkey.id, name: 'Laptop', createdAt: passkey.createdAt, lastUsedAt: null },
      ]);
      const [row] = await api.query<{ public_key: Buffer }>(
        `SELECT public_key FROM passkeys WHERE id = $1`,
        [passkey.id],
      );
      expect(JSON.stringify(exported)).not.toContain(row.public_key.toString('base64url'));

      const erased = await send('DELETE', '/api/v1/users/me', tokens.accessToken, {
        password: user.password,
      });
      expect(erased.status).toBe(204);
      expect(await rowsOf(user.id)).toEqual([]);
      expect((await laptop.run<ApiAnswer>('signInWithPasskey')).status).toBe(401);
    });

    it('is a second factor after the password once two-step verification is on, and signs in alone past it', async () => {
      const laptop = await device();
      const { user, tokens } = await userWithPasskey(laptop);
      const epoch = () => Math.floor(clock.nowMs() / 1000);
      const { secret } = (await (
        await send('POST', '/api/v1/auth/mfa/totp/setup', tokens.accessToken)
      ).json()) as { secret: string };
      const confirmed = await send('POST', '/api/v1/auth/mfa/totp/confirm', tokens.accessToken, {
        code: generateSync({ secret, epoch: epoch() }),
      });
      expect(confirmed.status).toBe(200);

      const signIn = async () =>
        (await (
          await api.fetch(
            '/api/v1/auth/login',
            json({ email: user.email, password: user.password }),
          )
        ).json()) as { mfaToken: string; methods: string[] };
      const challenge = await signIn();
      expect(challenge.methods).toEqual(['totp', 'recovery_code', 'webauthn']);
      const done = await api.fetch(
        '/api/v1/auth/mfa/verify',
        json({
          mfaToken: challenge.mfaToken,
          webauthn: await laptop.run<AssertionJson>('assertion'),
        }),
      );
      expect(done.status).toBe(200);
      expect(claimsOf(((await done.json()) as Pair).accessToken).amr).toEqual([
        'hwk',
        'mfa',
        'pwd',
      ]);

      // Another account's passkey is no second factor for this one.
      const phone = await device();
      await userWithPasskey(phone);
      const next = await signIn();
      const foreign = await api.fetch(
        '/api/v1/auth/mfa/verify',
        json({ mfaToken: next.mfaToken, webauthn: await phone.run<AssertionJson>('assertion') }),
      );
      expect(foreign.status).toBe(401);

      // On its own, the passkey signs in without the password or a code.
      const alone = await laptop.run<ApiAnswer<SignedIn>>('signInWithPasskey');
      expect(alone.status).toBe(200);
      expect(claimsOf(alone.body.accessToken).amr).toEqual(['hwk', 'mfa']);
    });

    it('asks a password session of an account holding a passkey to use it before adding another', async () => {
      const laptop = await device();
      const { user } = await userWithPasskey(laptop);
      const byPassword = await laptop.run<ApiAnswer<SignedIn>>('signIn', user.email, user.password);
      expect(claimsOf(byPassword.body.accessToken).amr).toEqual(['pwd']);
      const refused = await send(
        'POST',
        '/api/v1/auth/passkeys/register/options',
        byPassword.body.accessToken,
      );
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: 'reauthentication_required' });

      const stepped = await send(
        'POST',
        '/api/v1/auth/reauthenticate',
        byPassword.body.accessToken,
        {
          webauthn: await laptop.run<AssertionJson>('assertion'),
        },
      );
      expect(stepped.status).toBe(200);
      const { accessToken } = (await stepped.json()) as Pair;
      expect(
        (await send('POST', '/api/v1/auth/passkeys/register/options', accessToken)).status,
      ).toBe(200);
    });

    it('ends the sessions a passkey signed in when it is removed', async () => {
      const laptop = await device();
      const { tokens, passkey } = await userWithPasskey(laptop);
      const byPasskey = await laptop.run<ApiAnswer<SignedIn>>('signInWithPasskey');
      expect(byPasskey.status).toBe(200);

      expect(
        (await send('DELETE', `/api/v1/auth/passkeys/${passkey.id}`, tokens.accessToken)).status,
      ).toBe(204);
      expect((await api.fetch('/api/v1/users/me', bearer(byPasskey.body.accessToken))).status).toBe(
        401,
      );
      expect(
        (
          await api.fetch(
            '/api/v1/auth/refresh',
            json({ refreshToken: byPasskey.body.refreshToken }),
          )
        ).status,
      ).toBe(401);
      // The password's session goes on.
      expect((await api.fetch('/api/v1/users/me', bearer(tokens.accessToken))).status).toBe(200);
    });

    it('holds the 20-passkey cap when registrations race', async () => {
      const laptop = await device();
      const { user } = await userWithPasskey(laptop);
      const signedIn = await laptop.run<ApiAnswer<SignedIn>>('signInWithPasskey');
      const token = signedIn.body.accessToken;
      // 19 held: room for one more.
      await api.query(
        `INSERT INTO passkeys (user_id, credential_id, public_key, device_type, aaguid, name)
         SELECT $1::uuid, translate(encode(uuid_send(gen_random_uuid()), 'base64'), '+/=', '-_'), '\\x00', 'singleDevice',
                '00000000-0000-0000-0000-000000000000', 'Filler ' || n
           FROM generate_series(1, 18) AS n`,
        [user.id],
      );
      const [first, second] = await Promise.all([device(), device()]);
      const responses = await Promise.all([
        first.run<Record<string, unknown>>('createCredential', token),
        second.run<Record<string, unknown>>('createCredential', token),
      ]);
      const answers = await Promise.all(
        responses.map((response) => send('POST', '/api/v1/auth/passkeys', token, { response })),
      );
      expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409]);
      const [{ n }] = await api.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM passkeys WHERE user_id = $1`,
        [user.id],
      );
      expect(n).toBe(20);
    });
  });
}
