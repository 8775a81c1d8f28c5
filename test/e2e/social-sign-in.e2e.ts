import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateSync } from 'otplib';
import { randomBytes } from 'node:crypto';
import {
  bearer,
  clientAddress,
  registerUser,
  registerVerifiedUser,
  strongPassword,
  type RegisteredUser,
} from '../factories/users.factory.js';
import { ManualClock } from '../support/manual-clock.js';
import { TestOidcProvider, type TestOidcUser } from '../support/oidc-provider.js';
import { resetTokenFrom, TestSmtpServer } from '../support/smtp.js';
import { json, LogCapture, startTestApp, type TestApp } from '../support/test-app.js';

const FRONTEND = 'https://app.insightsheet.test';
const CALLBACK = `${FRONTEND}/auth/callback/acme`;
const CLIENT = { clientId: 'insightsheet-web', clientSecret: randomBytes(24).toString('hex') };
const MINUTE = 60_000;

interface Pair {
  accessToken: string;
  refreshToken: string;
  user: { id: string; email: string; emailVerified: boolean };
}

function claimsOf(token: string): { amr?: string[]; sub: string } {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

// Issue 15: social sign-in against a real OpenID provider (oidc-provider) on loopback, through
// openid-client: no mocked provider, no hand-made ID tokens.
describe('social sign-in (OpenID Connect)', () => {
  let api: TestApp;
  let provider: TestOidcProvider;
  const smtp = new TestSmtpServer();
  const clock = new ManualClock();
  const logs = new LogCapture();

  beforeAll(async () => {
    await smtp.start();
    provider = await TestOidcProvider.start({ ...CLIENT, redirectUris: [CALLBACK], users: [] });
    api = await startTestApp({
      clock,
      logDestination: logs,
      env: {
        LOG_LEVEL: 'info',
        ...smtp.env,
        FRONTEND_URL: FRONTEND,
        OIDC_PROVIDERS: 'acme',
        OIDC_ACME_ISSUER: provider.issuer,
        OIDC_ACME_CLIENT_ID: CLIENT.clientId,
        OIDC_ACME_CLIENT_SECRET: CLIENT.clientSecret,
        OIDC_ACME_NAME: 'Acme ID',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await api?.close();
    await provider?.stop();
    await smtp.stop();
  });

  function providerUser(overrides: Partial<TestOidcUser> = {}): TestOidcUser {
    const user: TestOidcUser = {
      sub: `acme-${randomBytes(6).toString('hex')}`,
      email: `social-${randomBytes(6).toString('hex')}@example.com`,
      emailVerified: true,
      name: 'Grace Hopper',
      ...overrides,
    };
    provider.addUser(user);
    return user;
  }

  const post = (path: string, body: unknown, token?: string) =>
    api.fetch(path, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...clientAddress(),
      },
      body: JSON.stringify(body),
    });

  async function startUrl(path = '/api/v1/auth/oidc/acme/start', token?: string) {
    const response = await post(path, { redirectUri: CALLBACK }, token);
    expect(response.status).toBe(200);
    return ((await response.json()) as { authorizationUrl: string }).authorizationUrl;
  }

  /** The provider's redirect, as the web app forwards it. */
  function callbackOf(redirect: URL) {
    const iss = redirect.searchParams.get('iss');
    return {
      code: redirect.searchParams.get('code'),
      state: redirect.searchParams.get('state'),
      ...(iss ? { iss } : {}),
    };
  }

  async function signIn(user: TestOidcUser) {
    const { redirect } = await provider.authorize(await startUrl(), { sub: user.sub });
    return post('/api/v1/auth/oidc/acme/callback', callbackOf(redirect));
  }

  const usersWithEmail = async (email: string) =>
    (
      await api.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE email = $1`, [
        email,
      ])
    )[0].n;
  const identitiesOf = (subject: string) =>
    api.query<{ user_id: string; email_verified: boolean }>(
      `SELECT user_id, email_verified FROM user_identities WHERE subject = $1`,
      [subject],
    );

  it('lists the configured providers', async () => {
    const response = await api.fetch('/api/v1/auth/oidc/providers');
    expect(await response.json()).toEqual([{ id: 'acme', name: 'Acme ID' }]);
  });

  it('makes an account for an unknown identity, verified as the provider says, without a password', async () => {
    const someone = providerUser();
    const response = await signIn(someone);
    expect(response.status).toBe(200);
    const body = (await response.json()) as Pair;
    expect(body.user).toMatchObject({ email: someone.email, emailVerified: true });
    expect(claimsOf(body.accessToken).amr).toEqual(['fed']);
    expect((await api.fetch('/api/v1/users/me', bearer(body.accessToken))).status).toBe(200);
    const [row] = await api.query<{ password_hash: string | null; plan: string }>(
      `SELECT u.password_hash, s.plan FROM users u JOIN subscriptions s ON s.user_id = u.id
        WHERE u.id = $1`,
      [body.user.id],
    );
    expect(row).toEqual({ password_hash: null, plan: 'free' });
    expect(await identitiesOf(someone.sub)).toEqual([
      { user_id: body.user.id, email_verified: true },
    ]);

    // Unverified at the provider: unverified here, and a code is mailed.
    const unsure = providerUser({ emailVerified: false });
    const second = (await (await signIn(unsure)).json()) as Pair;
    expect(second.user.emailVerified).toBe(false);
    await smtp.waitForSubject(unsure.email, /verification code/);
  });

  it('signs a returning identity in to the same account', async () => {
    const someone = providerUser();
    const first = (await (await signIn(someone)).json()) as Pair;
    const again = await signIn(someone);
    expect(again.status).toBe(200);
    expect(((await again.json()) as Pair).user.id).toBe(first.user.id);
    expect(await usersWithEmail(someone.email)).toBe(1);
  });

  it('links automatically when both sides verified the address, and tells the owner', async () => {
    const local = await registerVerifiedUser(api);
    const someone = providerUser({ email: local.email, emailVerified: true });
    const response = await signIn(someone);
    expect(response.status).toBe(200);
    expect(((await response.json()) as Pair).user.id).toBe(local.id);
    await smtp.waitForSubject(local.email, /sign-in was linked/);
    expect(await identitiesOf(someone.sub)).toHaveLength(1);
  });

  it('answers 409 account_exists when the local account has not verified the address (pre-hijacking)', async () => {
    const squatter = await registerUser(api);
    const victim = providerUser({ email: squatter.email, emailVerified: true });
    const response = await signIn(victim);
    expect(response.status).toBe(409);
    expect(await response.json()).toMatchObject({ error: 'account_exists' });
    expect(await identitiesOf(victim.sub)).toEqual([]);

    // Nor when the provider has not verified it.
    const owner = await registerVerifiedUser(api);
    const unsure = providerUser({ email: owner.email, emailVerified: false });
    expect((await signIn(unsure)).status).toBe(409);
    expect(await identitiesOf(unsure.sub)).toEqual([]);
  });

  it('links from a signed-in session, bound to that user, then signs in with it', async () => {
    const local = await registerVerifiedUser(api);
    const someone = providerUser();
    const url = await startUrl('/api/v1/auth/oidc/acme/link/start', local.accessToken);
    const { redirect } = await provider.authorize(url, { sub: someone.sub });

    // Another user cannot finish it with the code and state.
    const stranger = await registerVerifiedUser(api);
    expect(
      (await post('/api/v1/auth/oidc/acme/link', callbackOf(redirect), stranger.accessToken))
        .status,
    ).toBe(400);
    expect(await identitiesOf(someone.sub)).toEqual([]);

    // Nor can the owner once the state is spent; a fresh one links.
    const again = await provider.authorize(
      await startUrl('/api/v1/auth/oidc/acme/link/start', local.accessToken),
      { sub: someone.sub },
    );
    const linked = await post(
      '/api/v1/auth/oidc/acme/link',
      callbackOf(again.redirect),
      local.accessToken,
    );
    expect(linked.status).toBe(201);
    expect(await linked.json()).toMatchObject({
      provider: 'acme',
      providerName: 'Acme ID',
      email: someone.email,
    });
    const listed = (await (
      await api.fetch('/api/v1/users/me/identities', bearer(local.accessToken))
    ).json()) as unknown[];
    expect(listed).toHaveLength(1);

    const signedIn = (await (await signIn(someone)).json()) as Pair;
    expect(signedIn.user.id).toBe(local.id);

    // A sign-in callback cannot be used to link, nor a stale session.
    clock.advance(11 * MINUTE);
    expect(
      (
        await post(
          '/api/v1/auth/oidc/acme/link/start',
          { redirectUri: CALLBACK },
          local.accessToken,
        )
      ).status,
    ).toBe(403);
  });

  it('refuses to unlink the last way to sign in, until a password is set through a reset', async () => {
    const someone = providerUser();
    const body = (await (await signIn(someone)).json()) as Pair;
    const [identity] = (await (
      await api.fetch('/api/v1/users/me/identities', bearer(body.accessToken))
    ).json()) as { id: string }[];
    const unlink = () =>
      api.fetch(`/api/v1/users/me/identities/${identity.id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${body.accessToken}` },
      });
    const refused = await unlink();
    expect(refused.status).toBe(409);
    expect(await identitiesOf(someone.sub)).toHaveLength(1);

    await post('/api/v1/auth/password/forgot', { email: someone.email });
    const token = resetTokenFrom(await smtp.waitForSubject(someone.email, /Reset your/));
    const password = strongPassword();
    expect((await post('/api/v1/auth/password/reset', { token, password })).status).toBe(204);
    // The reset ended every session: sign in again, with the new password.
    const login = (await (
      await post('/api/v1/auth/login', { email: someone.email, password })
    ).json()) as Pair;
    const removed = await api.fetch(`/api/v1/users/me/identities/${identity.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${login.accessToken}` },
    });
    expect(removed.status).toBe(204);
    await smtp.waitForSubject(someone.email, /sign-in was removed/);
    expect(await identitiesOf(someone.sub)).toEqual([]);
  });

  it('refuses a forged, replayed or expired state, and a redirect outside FRONTEND_URL, creating nothing', async () => {
    const someone = providerUser();
    const { redirect } = await provider.authorize(await startUrl(), { sub: someone.sub });
    const callback = callbackOf(redirect);
    const forged = await post('/api/v1/auth/oidc/acme/callback', {
      ...callback,
      state: 'forged-state',
    });
    expect(forged.status).toBe(400);
    expect((await post('/api/v1/auth/oidc/acme/callback', callback)).status).toBe(200);
    const replayed = await post('/api/v1/auth/oidc/acme/callback', callback);
    expect(replayed.status).toBe(400);

    const late = providerUser();
    const slow = await provider.authorize(await startUrl(), { sub: late.sub });
    clock.advance(11 * MINUTE);
    expect((await post('/api/v1/auth/oidc/acme/callback', callbackOf(slow.redirect))).status).toBe(
      400,
    );
    expect(await usersWithEmail(late.email)).toBe(0);

    for (const redirectUri of [
      'https://evil.example/auth/callback',
      'https://app.insightsheet.test.evil.example/cb',
      'https://app.insightsheet.test@evil.example/cb',
      'http://app.insightsheet.test/auth/callback',
      'javascript:alert(1)',
      `${CALLBACK}#fragment`,
      `${FRONTEND}/auth/../evil`,
      `${FRONTEND}/auth/%2e%2e/evil`,
      `${FRONTEND}\\auth\\callback`,
      ` ${CALLBACK}`,
    ]) {
      const response = await post('/api/v1/auth/oidc/acme/start', { redirectUri });
      expect({ redirectUri, status: response.status }).toEqual({ redirectUri, status: 400 });
    }
    expect((await post('/api/v1/auth/oidc/nobody/start', { redirectUri: CALLBACK })).status).toBe(
      404,
    );
  });

  it('refuses a tampered PKCE challenge or nonce, and an issuer mix-up, creating nothing', async () => {
    const tamper = async (param: string, value: string) => {
      const someone = providerUser();
      const url = new URL(await startUrl());
      url.searchParams.set(param, value);
      const { redirect } = await provider.authorize(url, { sub: someone.sub });
      const response = await post('/api/v1/auth/oidc/acme/callback', callbackOf(redirect));
      return { response, someone };
    };
    for (const [param, value] of [
      ['code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'],
      ['nonce', 'a-nonce-of-the-attacker'],
    ]) {
      const { response, someone } = await tamper(param, value);
      expect({ param, status: response.status }).toEqual({ param, status: 400 });
      expect(await usersWithEmail(someone.email)).toBe(0);
    }

    const someone = providerUser();
    const { redirect } = await provider.authorize(await startUrl(), { sub: someone.sub });
    const mixUp = await post('/api/v1/auth/oidc/acme/callback', {
      ...callbackOf(redirect),
      iss: 'https://evil.example',
    });
    expect(mixUp.status).toBe(400);
    expect(await usersWithEmail(someone.email)).toBe(0);

    // The refusals were logged without a code or token.
    const refusals = logs.lines.filter((line) => line.msg === 'OpenID sign-in refused');
    expect(refusals.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(refusals)).not.toContain(redirect.searchParams.get('code'));
  });

  it("follows the provider's key rotation: a token signed with a new key verifies", async () => {
    const before = providerUser();
    expect((await signIn(before)).status).toBe(200);
    const fetched = provider.jwksRequests;
    await provider.rotateKeys();
    const after = providerUser();
    const response = await signIn(after);
    expect(response.status).toBe(200);
    expect(provider.jwksRequests).toBeGreaterThan(fetched);
  });

  it('still asks for the second factor when two-step verification is on', async () => {
    const someone = providerUser();
    const first = (await (await signIn(someone)).json()) as Pair;
    const { secret } = (await (
      await post('/api/v1/auth/mfa/totp/setup', {}, first.accessToken)
    ).json()) as { secret: string };
    const epoch = () => Math.floor(clock.nowMs() / 1000);
    expect(
      (
        await post(
          '/api/v1/auth/mfa/totp/confirm',
          { code: generateSync({ secret, epoch: epoch() }) },
          first.accessToken,
        )
      ).status,
    ).toBe(200);
    clock.advance(30_000);

    const challenge = (await (await signIn(someone)).json()) as {
      mfaRequired: boolean;
      mfaToken: string;
    };
    expect(challenge.mfaRequired).toBe(true);
    const done = await api.fetch(
      '/api/v1/auth/mfa/verify',
      json({ mfaToken: challenge.mfaToken, code: generateSync({ secret, epoch: epoch() }) }),
    );
    expect(done.status).toBe(200);
    expect(claimsOf(((await done.json()) as Pair).accessToken).amr).toEqual(['fed', 'mfa', 'otp']);
  });

  it("gives the mailbox's owner a clean account: a reset removes the ways in added before the address was proven", async () => {
    // An intruder's provider account claims the victim's address without verifying it.
    const victimEmail = `victim-${randomBytes(6).toString('hex')}@example.com`;
    const intruder = providerUser({ email: victimEmail, emailVerified: false });
    const taken = (await (await signIn(intruder)).json()) as Pair;
    expect(taken.user.emailVerified).toBe(false);
    // While unverified it cannot link more ways in.
    expect(
      (
        await post(
          '/api/v1/auth/oidc/acme/link/start',
          { redirectUri: CALLBACK },
          taken.accessToken,
        )
      ).status,
    ).toBe(403);

    // The owner takes the account over through the reset link in their mailbox.
    await post('/api/v1/auth/password/forgot', { email: victimEmail });
    const token = resetTokenFrom(await smtp.waitForSubject(victimEmail, /Reset your/));
    expect(
      (await post('/api/v1/auth/password/reset', { token, password: strongPassword() })).status,
    ).toBe(204);
    expect(await identitiesOf(intruder.sub)).toEqual([]);
    const [row] = await api.query<{ verified: boolean }>(
      `SELECT email_verified_at IS NOT NULL AS verified FROM users WHERE email = $1`,
      [victimEmail],
    );
    expect(row.verified).toBe(true);
    // The intruder's provider account is no way back in.
    expect((await signIn(intruder)).status).toBe(409);
  });

  it('makes one account when first sign-ins of one identity race', async () => {
    const someone = providerUser();
    const callbacks = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const { redirect } = await provider.authorize(await startUrl(), { sub: someone.sub });
        return callbackOf(redirect);
      }),
    );
    const answers = await Promise.all(
      callbacks.map((callback) => post('/api/v1/auth/oidc/acme/callback', callback)),
    );
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    const ids = await Promise.all(
      answers.map(async (answer) => ((await answer.json()) as Pair).user.id),
    );
    expect(new Set(ids).size).toBe(1);
    expect(await usersWithEmail(someone.email)).toBe(1);
    expect(await identitiesOf(someone.sub)).toHaveLength(1);
  });

  it('uses no address that folds onto another (compatibility characters)', async () => {
    const local = await registerVerifiedUser(api, {
      email: `kim-${randomBytes(4).toString('hex')}@example.com`,
    });
    const lookalike = providerUser({
      email: local.email.replace(/^k/, '\u212a'),
      emailVerified: true,
    });
    const response = await signIn(lookalike);
    expect(response.status).toBe(400);
    expect(await identitiesOf(lookalike.sub)).toEqual([]);
  });

  it('exports identities and erases them with the account', async () => {
    const local: RegisteredUser = await registerVerifiedUser(api);
    const someone = providerUser();
    const url = await startUrl('/api/v1/auth/oidc/acme/link/start', local.accessToken);
    const { redirect } = await provider.authorize(url, { sub: someone.sub });
    expect(
      (await post('/api/v1/auth/oidc/acme/link', callbackOf(redirect), local.accessToken)).status,
    ).toBe(201);
    const exported = (await (
      await api.fetch('/api/v1/users/me/export', bearer(local.accessToken))
    ).json()) as {
      identities: { subject: string; issuer: string }[];
    };
    expect(exported.identities).toEqual([
      expect.objectContaining({ subject: someone.sub, issuer: provider.issuer }),
    ]);
    const erased = await api.fetch('/api/v1/users/me', {
      method: 'DELETE',
      headers: { authorization: `Bearer ${local.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ password: local.password }),
    });
    expect(erased.status).toBe(204);
    expect(await identitiesOf(someone.sub)).toEqual([]);
  });
});
