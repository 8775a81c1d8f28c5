import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateSync } from 'otplib';
import {
  bearer,
  clientAddress,
  login,
  registerUser,
  type RegisteredUser,
} from '../factories/users.factory.js';
import { ManualClock } from '../support/manual-clock.js';
import { TestSmtpServer } from '../support/smtp.js';
import { json, startTestApp, type TestApp } from '../support/test-app.js';

const MINUTE = 60_000;

interface Pair {
  accessToken: string;
  refreshToken: string;
}
interface Challenge {
  mfaRequired: true;
  mfaToken: string;
  methods: string[];
  expiresIn: number;
}

function claimsOf(token: string): { amr?: string[]; [claim: string]: unknown } {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

/** Requests and set-up shared by the suites below, against `app()` at `clock`'s time. */
function helpersFor(app: () => TestApp, clock: ManualClock) {
  const codeAt = (secret: string, offsetSteps = 0) =>
    generateSync({ secret, epoch: Math.floor(clock.nowMs() / 1000) + offsetSteps * 30 });
  const post = (path: string, token: string | null, body?: unknown, headers = clientAddress()) =>
    app().fetch(path, {
      method: 'POST',
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const remove = (path: string, token: string) =>
    app().fetch(path, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });

  /** A user with TOTP on: their secret and recovery codes. */
  async function enrolledUser(): Promise<RegisteredUser & { secret: string; recovery: string[] }> {
    const user = await registerUser(app());
    const setup = await post('/api/v1/auth/mfa/totp/setup', user.accessToken);
    expect(setup.status).toBe(200);
    const { secret } = (await setup.json()) as { secret: string };
    const confirmed = await post('/api/v1/auth/mfa/totp/confirm', user.accessToken, {
      code: codeAt(secret),
    });
    expect(confirmed.status).toBe(200);
    const { recoveryCodes } = (await confirmed.json()) as { recoveryCodes: string[] };
    // The confirming code's step is used: move on so the next code is a new one.
    clock.advance(30_000);
    return { ...user, secret, recovery: recoveryCodes };
  }

  async function challengeFor(user: RegisteredUser, headers = clientAddress()) {
    const response = await login(app(), user.email, user.password, headers);
    expect(response.status).toBe(200);
    return (await response.json()) as Challenge;
  }

  const verify = (body: object, headers = clientAddress()) =>
    post('/api/v1/auth/mfa/verify', null, body, headers);

  return { codeAt, post, remove, enrolledUser, challengeFor, verify };
}

// Issue 14: TOTP with recovery codes, sign-in with a second factor, step-up with a code, and
// admin enforcement. Time moves with the app's manual clock; codes are made from the secret
// the API handed out, at the app's time.
describe('two-step verification (TOTP and recovery codes)', () => {
  let api: TestApp;
  const smtp = new TestSmtpServer();
  const clock = new ManualClock();

  beforeAll(async () => {
    await smtp.start();
    api = await startTestApp({
      clock,
      env: smtp.env,
    });
  });
  afterAll(async () => {
    await api.close();
    await smtp.stop();
  });

  const { codeAt, post, remove, enrolledUser, challengeFor, verify } = helpersFor(() => api, clock);

  describe('setup', () => {
    it('hands out a secret and an otpauth URL, and stores the secret only encrypted', async () => {
      const user = await registerUser(api);
      const response = await post('/api/v1/auth/mfa/totp/setup', user.accessToken);
      expect(response.status).toBe(200);
      const { secret, otpauthUrl } = (await response.json()) as {
        secret: string;
        otpauthUrl: string;
      };
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      const url = new URL(otpauthUrl);
      expect(url.protocol).toBe('otpauth:');
      expect(url.searchParams.get('secret')).toBe(secret);
      expect(url.searchParams.get('issuer')).toBe('InsightSheet');
      expect(decodeURIComponent(url.pathname)).toBe(`/InsightSheet:${user.email}`);

      const [row] = await api.query<{ secret_ciphertext: Buffer; confirmed_at: Date | null }>(
        `SELECT secret_ciphertext, confirmed_at FROM user_totp WHERE user_id = $1`,
        [user.id],
      );
      expect(row.confirmed_at).toBeNull();
      expect(row.secret_ciphertext.includes(Buffer.from(secret))).toBe(false);
      // Pending is not on: sign-in still answers tokens.
      const signIn = (await (await login(api, user.email, user.password)).json()) as Pair;
      expect(signIn.accessToken).toEqual(expect.any(String));
    });

    it('refuses a wrong confirmation code with 400 and writes nothing', async () => {
      const user = await registerUser(api);
      const { secret } = (await (
        await post('/api/v1/auth/mfa/totp/setup', user.accessToken)
      ).json()) as { secret: string };
      const right = codeAt(secret);
      const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
      const refused = await post('/api/v1/auth/mfa/totp/confirm', user.accessToken, {
        code: wrong,
      });
      expect(refused.status).toBe(400);
      const [row] = await api.query<{ confirmed_at: Date | null; last_used_step: string | null }>(
        `SELECT confirmed_at, last_used_step FROM user_totp WHERE user_id = $1`,
        [user.id],
      );
      expect(row).toEqual({ confirmed_at: null, last_used_step: null });
      const [{ n }] = await api.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1`,
        [user.id],
      );
      expect(n).toBe(0);
      expect(
        (await post('/api/v1/auth/mfa/totp/confirm', user.accessToken, { code: 'abcdef' })).status,
      ).toBe(400);
    });

    it('turns on with a right code: ten recovery codes shown once, stored hashed, and a notice', async () => {
      const user = await enrolledUser();
      expect(user.recovery).toHaveLength(10);
      expect(new Set(user.recovery).size).toBe(10);
      const stored = await api.query<{ code_hash: Buffer }>(
        `SELECT code_hash FROM mfa_recovery_codes WHERE user_id = $1`,
        [user.id],
      );
      expect(stored).toHaveLength(10);
      for (const { code_hash } of stored) {
        for (const code of user.recovery) {
          expect(code_hash.includes(Buffer.from(code.replace('-', '')))).toBe(false);
        }
      }
      const status = await api.fetch('/api/v1/auth/mfa', bearer(user.accessToken));
      expect(await status.json()).toEqual({ totp: true, recoveryCodesRemaining: 10 });
      await smtp.waitForSubject(user.email, /Two-step verification is on/);
      // A second setup while on is a conflict, not a silent replacement.
      expect((await post('/api/v1/auth/mfa/totp/setup', user.accessToken)).status).toBe(409);
    });

    it('needs a recent authentication to start, to turn off and to regenerate codes', async () => {
      const user = await enrolledUser();
      clock.advance(11 * MINUTE);
      for (const response of [
        await post('/api/v1/auth/mfa/totp/setup', user.accessToken),
        await post('/api/v1/auth/mfa/recovery-codes', user.accessToken),
        await remove('/api/v1/auth/mfa/totp', user.accessToken),
      ]) {
        expect(response.status).toBe(403);
        expect(await response.json()).toMatchObject({ error: 'reauthentication_required' });
      }
    });
  });

  describe('sign-in', () => {
    it('answers a challenge instead of tokens, and the code finishes it with amr otp+mfa', async () => {
      const user = await enrolledUser();
      const response = await login(api, user.email, user.password);
      const challenge = (await response.json()) as Challenge & Partial<Pair>;
      expect(challenge).toEqual({
        mfaRequired: true,
        mfaToken: expect.any(String),
        methods: ['totp', 'recovery_code'],
        expiresIn: 300,
      });
      expect(challenge.accessToken).toBeUndefined();

      const done = await verify({ mfaToken: challenge.mfaToken, code: codeAt(user.secret) });
      expect(done.status).toBe(200);
      const pair = (await done.json()) as Pair & { user: { id: string } };
      expect(pair.user.id).toBe(user.id);
      expect(claimsOf(pair.accessToken).amr).toEqual(['mfa', 'otp', 'pwd']);
      expect((await api.fetch('/api/v1/users/me', bearer(pair.accessToken))).status).toBe(200);
      const sessions = (await (
        await api.fetch('/api/v1/auth/sessions', bearer(pair.accessToken))
      ).json()) as { current: boolean; mfa: boolean }[];
      expect(sessions.find((session) => session.current)?.mfa).toBe(true);
      // A refresh keeps the session's methods.
      const refreshed = (await (
        await api.fetch('/api/v1/auth/refresh', json({ refreshToken: pair.refreshToken }))
      ).json()) as Pair;
      expect(claimsOf(refreshed.accessToken).amr).toEqual(['mfa', 'otp', 'pwd']);
      // Single use: the same mfaToken never signs in twice.
      clock.advance(30_000);
      expect(
        (await verify({ mfaToken: challenge.mfaToken, code: codeAt(user.secret) })).status,
      ).toBe(401);
    });

    it('accepts a code once: the same code is refused in the next sign-in (replay)', async () => {
      const user = await enrolledUser();
      const code = codeAt(user.secret);
      const first = await challengeFor(user);
      expect((await verify({ mfaToken: first.mfaToken, code })).status).toBe(200);
      const second = await challengeFor(user);
      expect((await verify({ mfaToken: second.mfaToken, code })).status).toBe(401);
      // Nor is an older code of the window once a newer one was used.
      clock.advance(30_000);
      expect(
        (await verify({ mfaToken: second.mfaToken, code: codeAt(user.secret, -2) })).status,
      ).toBe(401);
      expect((await verify({ mfaToken: second.mfaToken, code: codeAt(user.secret) })).status).toBe(
        200,
      );
    });

    it('counts wrong codes toward the account lock: then even the right code gets 429', async () => {
      const user = await enrolledUser();
      // The password attempt stays counted until its second factor is right (1), then 4 wrong codes.
      const challenge = await challengeFor(user);
      for (let i = 0; i < 4; i++) {
        const response = await verify({ mfaToken: challenge.mfaToken, code: '000000' });
        expect(response.status).toBe(401);
      }
      const locked = await verify({ mfaToken: challenge.mfaToken, code: codeAt(user.secret) });
      expect(locked.status).toBe(429);
      expect(locked.headers.get('retry-after')).toEqual(expect.any(String));
      expect((await login(api, user.email, user.password)).status).toBe(429);
      const [{ n }] = await api.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM user_sessions WHERE user_id = $1`,
        [user.id],
      );
      expect(n).toBe(1);
    });

    it('signs in with a recovery code once; a new set replaces the old', async () => {
      const user = await enrolledUser();
      const [first, second] = user.recovery;
      const challenge = await challengeFor(user);
      const done = await verify({
        mfaToken: challenge.mfaToken,
        recoveryCode: first.toUpperCase(),
      });
      expect(done.status).toBe(200);
      const pair = (await done.json()) as Pair;
      expect(claimsOf(pair.accessToken).amr).toEqual(['mfa', 'otp', 'pwd']);
      expect(await (await api.fetch('/api/v1/auth/mfa', bearer(pair.accessToken))).json()).toEqual({
        totp: true,
        recoveryCodesRemaining: 9,
      });

      const again = await challengeFor(user);
      expect((await verify({ mfaToken: again.mfaToken, recoveryCode: first })).status).toBe(401);

      const regenerated = await post('/api/v1/auth/mfa/recovery-codes', pair.accessToken);
      expect(regenerated.status).toBe(200);
      const { recoveryCodes } = (await regenerated.json()) as { recoveryCodes: string[] };
      expect(recoveryCodes).toHaveLength(10);
      await smtp.waitForSubject(user.email, /New recovery codes/);
      expect((await verify({ mfaToken: again.mfaToken, recoveryCode: second })).status).toBe(401);
      expect(
        (await verify({ mfaToken: again.mfaToken, recoveryCode: recoveryCodes[0] })).status,
      ).toBe(200);
    });

    it('refuses a request with no factor, a null factor or two factors with 400', async () => {
      const user = await enrolledUser();
      const challenge = await challengeFor(user);
      expect((await verify({ mfaToken: challenge.mfaToken })).status).toBe(400);
      expect((await verify({ mfaToken: challenge.mfaToken, recoveryCode: null })).status).toBe(400);
      expect((await verify({ mfaToken: challenge.mfaToken, code: null })).status).toBe(400);
      const assertion = {
        id: 'AQID',
        rawId: 'AQID',
        type: 'public-key',
        response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' },
        clientExtensionResults: {},
      };
      for (const webauthn of [
        { ...assertion, smuggled: true },
        { ...assertion, response: { ...assertion.response, smuggled: true } },
      ]) {
        const refused = await verify({ mfaToken: challenge.mfaToken, webauthn });
        expect(refused.status).toBe(400);
      }
      expect(
        (
          await verify({
            mfaToken: challenge.mfaToken,
            code: codeAt(user.secret),
            recoveryCode: user.recovery[0],
          })
        ).status,
      ).toBe(400);
      expect((await verify({ mfaToken: challenge.mfaToken, code: '12345' })).status).toBe(400);
      expect(
        (await verify({ mfaToken: challenge.mfaToken, code: codeAt(user.secret), extra: 1 }))
          .status,
      ).toBe(400);
    });

    it('turns off with a recent authentication: sign-in answers tokens again, and a notice goes out', async () => {
      const user = await enrolledUser();
      // The enrolling session proved the code: its next tokens carry it.
      const refreshed = (await (
        await api.fetch('/api/v1/auth/refresh', json({ refreshToken: user.refreshToken }))
      ).json()) as Pair;
      expect(claimsOf(refreshed.accessToken).amr).toEqual(['mfa', 'otp', 'pwd']);
      expect((await remove('/api/v1/auth/mfa/totp', refreshed.accessToken)).status).toBe(204);
      await smtp.waitForSubject(user.email, /turned off/);
      const signIn = (await (await login(api, user.email, user.password)).json()) as Pair;
      expect(claimsOf(signIn.accessToken).amr).toEqual(['pwd']);
      expect((await remove('/api/v1/auth/mfa/totp', signIn.accessToken)).status).toBe(404);
      const [{ n }] = await api.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1`,
        [user.id],
      );
      expect(n).toBe(0);
    });
  });

  describe('taking the factor over', () => {
    it("ends the account's other sessions when TOTP turns on, and keeps the enrolling one", async () => {
      const user = await registerUser(api);
      const other = (await (await login(api, user.email, user.password)).json()) as Pair;
      expect((await api.fetch('/api/v1/users/me', bearer(other.accessToken))).status).toBe(200);

      const { secret } = (await (
        await post('/api/v1/auth/mfa/totp/setup', user.accessToken)
      ).json()) as { secret: string };
      const confirmed = await post('/api/v1/auth/mfa/totp/confirm', user.accessToken, {
        code: codeAt(secret),
      });
      expect(confirmed.status).toBe(200);

      expect((await api.fetch('/api/v1/users/me', bearer(other.accessToken))).status).toBe(401);
      expect(
        (await api.fetch('/api/v1/auth/refresh', json({ refreshToken: other.refreshToken })))
          .status,
      ).toBe(401);
      expect((await api.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(200);
    });

    it("counts the confirming code as the enrolling session's second factor", async () => {
      const user = await enrolledUser();
      clock.advance(11 * MINUTE);
      const byPassword = (await (
        await post('/api/v1/auth/reauthenticate', user.accessToken, { password: user.password })
      ).json()) as Pair;
      expect(claimsOf(byPassword.accessToken).amr).toEqual(['mfa', 'otp', 'pwd']);
      expect((await post('/api/v1/auth/mfa/recovery-codes', byPassword.accessToken)).status).toBe(
        200,
      );
    });

    it('asks a password-only session for a code before the factors change', async () => {
      const user = await registerUser(api);
      // TOTP turned on directly in the database for a session that never proved it.
      const secret = await enrolBehindTheSessionsBack(user);
      const stepped = (await (
        await post('/api/v1/auth/reauthenticate', user.accessToken, { password: user.password })
      ).json()) as Pair;
      expect(claimsOf(stepped.accessToken).amr).toEqual(['pwd']);
      for (const response of [
        await remove('/api/v1/auth/mfa/totp', stepped.accessToken),
        await post('/api/v1/auth/mfa/recovery-codes', stepped.accessToken),
        await post('/api/v1/auth/passkeys/register/options', stepped.accessToken),
      ]) {
        expect(response.status).toBe(403);
        const body = (await response.json()) as { error: string; message: string };
        expect(body.error).toBe('reauthentication_required');
        expect(body.message).toMatch(/a code or a passkey/);
      }
      const [{ n }] = await api.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM user_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL`,
        [user.id],
      );
      expect(n).toBe(1);

      const byCode = (await (
        await post('/api/v1/auth/reauthenticate', stepped.accessToken, { code: codeAt(secret) })
      ).json()) as Pair;
      expect((await post('/api/v1/auth/mfa/recovery-codes', byCode.accessToken)).status).toBe(200);
    });

    /** TOTP on, written as confirming would, but leaving the user's sessions as they are. */
    async function enrolBehindTheSessionsBack(user: RegisteredUser): Promise<string> {
      const other = (await (await login(api, user.email, user.password)).json()) as Pair;
      const { secret } = (await (
        await post('/api/v1/auth/mfa/totp/setup', other.accessToken)
      ).json()) as { secret: string };
      await api.query(`UPDATE user_totp SET confirmed_at = now() WHERE user_id = $1`, [user.id]);
      return secret;
    }
  });

  describe('step-up', () => {
    it('accepts a TOTP code or a recovery code, and marks the session multi-factor', async () => {
      const user = await enrolledUser();
      clock.advance(11 * MINUTE);
      expect((await post('/api/v1/auth/mfa/recovery-codes', user.accessToken)).status).toBe(403);

      const wrong = await post('/api/v1/auth/reauthenticate', user.accessToken, { code: '000000' });
      expect(wrong.status).toBe(401);
      const renewed = await post('/api/v1/auth/reauthenticate', user.accessToken, {
        code: codeAt(user.secret),
      });
      expect(renewed.status).toBe(200);
      const pair = (await renewed.json()) as Pair;
      expect(claimsOf(pair.accessToken).amr).toEqual(['mfa', 'otp', 'pwd']);
      expect((await post('/api/v1/auth/mfa/recovery-codes', pair.accessToken)).status).toBe(200);

      clock.advance(11 * MINUTE);
      const byRecovery = await post('/api/v1/auth/reauthenticate', pair.accessToken, {
        code: user.recovery[0],
      });
      // The regeneration above replaced the set: the old code is refused.
      expect(byRecovery.status).toBe(401);
    });

    it('answers 400 to a code from an account without two-step verification', async () => {
      const user = await registerUser(api);
      const response = await post('/api/v1/auth/reauthenticate', user.accessToken, {
        code: '123456',
      });
      expect(response.status).toBe(400);
    });
  });
});

describe('the mfaToken', () => {
  let api: TestApp;
  const clock = new ManualClock();

  beforeAll(async () => {
    // A lock that comes later than the token's own limit, to see the token's limit alone.
    api = await startTestApp({
      clock,
      env: { LOGIN_MAX_FAILURES_PER_EMAIL: '50', LOGIN_MAX_FAILURES_PER_IP: '3' },
    });
  });
  afterAll(() => api.close());

  const { codeAt, enrolledUser, challengeFor, verify } = helpersFor(() => api, clock);

  it('dies after its fifth wrong code: the right code is refused then', async () => {
    const user = await enrolledUser();
    const challenge = await challengeFor(user);
    const wrong = () => String((Number(codeAt(user.secret)) + 7) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < 5; i++) {
      expect((await verify({ mfaToken: challenge.mfaToken, code: wrong() })).status).toBe(401);
    }
    expect((await verify({ mfaToken: challenge.mfaToken, code: codeAt(user.secret) })).status).toBe(
      401,
    );
    // Four wrong codes leave the fifth try to the right one.
    const next = await challengeFor(user);
    for (let i = 0; i < 4; i++) await verify({ mfaToken: next.mfaToken, code: wrong() });
    expect((await verify({ mfaToken: next.mfaToken, code: codeAt(user.secret) })).status).toBe(200);
  });

  it('expires after 5 minutes', async () => {
    const user = await enrolledUser();
    const challenge = await challengeFor(user);
    clock.advance(5 * 60_000 + 1000);
    expect((await verify({ mfaToken: challenge.mfaToken, code: codeAt(user.secret) })).status).toBe(
      401,
    );
  });

  it('is bound to the client that signed in', async () => {
    const user = await enrolledUser();
    const challenge = await challengeFor(user);
    const elsewhere = await verify(
      { mfaToken: challenge.mfaToken, code: codeAt(user.secret) },
      { ...clientAddress(), 'user-agent': 'another-client/1.0' },
    );
    expect(elsewhere.status).toBe(401);
    expect((await verify({ mfaToken: challenge.mfaToken, code: codeAt(user.secret) })).status).toBe(
      200,
    );
  });

  it('spends one factor for one sign-in when right answers race', async () => {
    const user = await enrolledUser();
    const challenge = await challengeFor(user);
    const code = codeAt(user.secret);
    const answers = await Promise.all([
      verify({ mfaToken: challenge.mfaToken, code }),
      verify({ mfaToken: challenge.mfaToken, recoveryCode: user.recovery[0] }),
      verify({ mfaToken: challenge.mfaToken, recoveryCode: user.recovery[1] }),
    ]);
    expect(answers.map((answer) => answer.status).filter((status) => status === 200)).toHaveLength(
      1,
    );
    const [{ used }] = await api.query<{ used: number }>(
      `SELECT count(*)::int AS used FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NOT NULL`,
      [user.id],
    );
    const [{ step }] = await api.query<{ step: string }>(
      `SELECT last_used_step::text AS step FROM user_totp WHERE user_id = $1`,
      [user.id],
    );
    const codeSpent = Number(step) === Math.floor(clock.nowMs() / 30_000) ? 1 : 0;
    expect(used + codeSpent).toBe(1);
  });

  it('does not count sign-ins that pass both steps against their address', async () => {
    const user = await enrolledUser();
    const address = clientAddress();
    // LOGIN_MAX_FAILURES_PER_IP is 3 here: four good sign-ins from one address all pass.
    for (let i = 0; i < 4; i++) {
      const challenge = await challengeFor(user, address);
      const done = await verify(
        { mfaToken: challenge.mfaToken, code: codeAt(user.secret) },
        address,
      );
      expect(done.status).toBe(200);
      clock.advance(30_000);
    }
  });

  it('answers 401, not 500, when a secret no longer decrypts (the key changed)', async () => {
    const user = await enrolledUser();
    await api.query(
      `UPDATE user_totp SET secret_ciphertext = decode(repeat('00', 60), 'hex') WHERE user_id = $1`,
      [user.id],
    );
    const challenge = await challengeFor(user);
    expect((await verify({ mfaToken: challenge.mfaToken, code: codeAt(user.secret) })).status).toBe(
      401,
    );
    expect(
      (await verify({ mfaToken: challenge.mfaToken, recoveryCode: user.recovery[0] })).status,
    ).toBe(200);
  });

  it('answers 401 to an unknown token, without a session', async () => {
    expect((await verify({ mfaToken: 'not-a-token', code: '123456' })).status).toBe(401);
  });
});

describe('admins and a second factor (REQUIRE_ADMIN_MFA)', () => {
  let api: TestApp;
  const clock = new ManualClock();

  beforeAll(async () => {
    api = await startTestApp({ clock, env: { REQUIRE_ADMIN_MFA: 'true' } });
  });
  afterAll(() => api.close());

  const post = (path: string, token: string, body?: unknown) =>
    api.fetch(path, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...clientAddress(),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('refuses an admin whose session used only a password with 403 mfa_required, until a code', async () => {
    const admin = await registerUser(api);
    await api.query(
      `UPDATE users SET role = 'admin', token_version = token_version + 1 WHERE id = $1`,
      [admin.id],
    );
    const signIn = (await (await login(api, admin.email, admin.password)).json()) as Pair;
    const refused = await api.fetch('/api/v1/admin/users', bearer(signIn.accessToken));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'mfa_required' });

    // Enrol (routes that are not admin routes stay open), then step up with a code.
    const { secret } = (await (
      await post('/api/v1/auth/mfa/totp/setup', signIn.accessToken)
    ).json()) as {
      secret: string;
    };
    const epoch = () => Math.floor(clock.nowMs() / 1000);
    expect(
      (
        await post('/api/v1/auth/mfa/totp/confirm', signIn.accessToken, {
          code: generateSync({ secret, epoch: epoch() }),
        })
      ).status,
    ).toBe(200);
    clock.advance(30_000);
    const stepped = (await (
      await post('/api/v1/auth/reauthenticate', signIn.accessToken, {
        code: generateSync({ secret, epoch: epoch() }),
      })
    ).json()) as Pair;
    expect((await api.fetch('/api/v1/admin/users', bearer(stepped.accessToken))).status).toBe(200);

    // A fresh sign-in with the second factor passes too.
    clock.advance(30_000);
    const challenge = (await (await login(api, admin.email, admin.password)).json()) as Challenge;
    const done = (await (
      await api.fetch(
        '/api/v1/auth/mfa/verify',
        json({ mfaToken: challenge.mfaToken, code: generateSync({ secret, epoch: epoch() }) }),
      )
    ).json()) as Pair;
    expect((await api.fetch('/api/v1/admin/users', bearer(done.accessToken))).status).toBe(200);
  });

  it('leaves non-admins with the plain 403 on admin routes', async () => {
    const user = await registerUser(api);
    const response = await api.fetch('/api/v1/admin/users', bearer(user.accessToken));
    expect(response.status).toBe(403);
    expect(await response.json()).not.toMatchObject({ error: 'mfa_required' });
  });
});
