import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  bearer,
  clientAddress,
  login,
  registerUser,
  strongPassword,
  uniqueEmail,
  type RegisteredUser,
} from '../factories/users.factory.js';
import { eventually } from '../support/eventually.js';
import { ManualClock } from '../support/manual-clock.js';
import { codeFrom, TestSmtpServer } from '../support/smtp.js';
import { json, startTestApp, type TestApp } from '../support/test-app.js';

const VERIFICATION = /verification code/;
const CHANGE_CODE = /confirm your new email/;

describe('email verification and email change', () => {
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

  const post = (path: string, user: RegisteredUser, body?: object, headers = clientAddress()) =>
    api.fetch(path, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${user.accessToken}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body ? JSON.stringify(body) : undefined,
    });
  const verify = (user: RegisteredUser, code: string, headers?: Record<string, string>) =>
    post('/api/v1/auth/email/verify', user, { code }, headers);
  const profile = async (user: RegisteredUser) =>
    (await (await api.fetch('/api/v1/users/me', bearer(user.accessToken))).json()) as {
      email: string;
      emailVerified: boolean;
    };
  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  describe('verification', () => {
    it('mails a code at registration that verifies the address once, by POST', async () => {
      const user = await registerUser(api);
      expect((await profile(user)).emailVerified).toBe(false);
      const mail = await smtp.waitForSubject(user.email, VERIFICATION);
      expect(mail.text).toContain('https://app.insightsheet.test/verify-email?code=');
      const code = codeFrom(mail);

      expect((await verify(user, code)).status).toBe(204);
      expect((await profile(user)).emailVerified).toBe(true);
      expect((await verify(user, code)).status).toBe(400);
      const stored = await api.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM email_codes WHERE user_id = $1`,
        [user.id],
      );
      expect(stored[0].n).toBe(0);
    });

    it('stores the code only as a hash', async () => {
      const user = await registerUser(api);
      const code = codeFrom(await smtp.waitForSubject(user.email, VERIFICATION));
      const [row] = await api.query<{ code_hash: Buffer }>(
        `SELECT code_hash FROM email_codes WHERE user_id = $1`,
        [user.id],
      );
      expect(row.code_hash.length).toBe(32);
      expect(row.code_hash.toString('latin1')).not.toContain(code);
    });

    it('answers 400 to a wrong code and kills the code after 5 wrong tries', async () => {
      const user = await registerUser(api);
      const code = codeFrom(await smtp.waitForSubject(user.email, VERIFICATION));
      for (let i = 0; i < 5; i++) {
        const response = await verify(user, wrong(code));
        expect(response.status).toBe(400);
        expect(((await response.json()) as { message: string }).message).toBe(
          'The code is wrong or has expired',
        );
      }
      expect((await verify(user, code)).status).toBe(400);
      expect((await profile(user)).emailVerified).toBe(false);
    });

    it('refuses a code older than 15 minutes', async () => {
      const user = await registerUser(api);
      const code = codeFrom(await smtp.waitForSubject(user.email, VERIFICATION));
      clock.advance(15 * 60_000 + 1000);
      expect((await verify(user, code)).status).toBe(400);
    });

    it('resends a new code that replaces the old one, and nothing once verified', async () => {
      const user = await registerUser(api);
      const first = codeFrom(await smtp.waitForSubject(user.email, VERIFICATION));
      const before = smtp.mailsTo(user.email).length;
      expect((await post('/api/v1/auth/email/verify/resend', user)).status).toBe(202);
      const mails = await eventually('the resent code', () =>
        smtp.mailsTo(user.email).length > before ? smtp.mailsTo(user.email) : undefined,
      );
      const second = codeFrom(mails.at(-1)!);
      if (second !== first) expect((await verify(user, first)).status).toBe(400);
      expect((await verify(user, second)).status).toBe(204);

      const count = smtp.mails.length;
      const again = await post('/api/v1/auth/email/verify/resend', user);
      expect(again.status).toBe(202);
      // A later mail to another address shows the queue has moved past this request.
      const marker = await registerUser(api);
      await smtp.waitForSubject(marker.email, VERIFICATION);
      expect(smtp.mails.slice(count).filter((mail) => mail.to === user.email)).toEqual([]);
    });

    it('limits resends per account', async () => {
      const user = await registerUser(api);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await post('/api/v1/auth/email/verify/resend', user)).status);
      expect(statuses).toEqual([202, 202, 202, 429]);
    });

    it('limits code guesses per account across fresh codes and addresses', async () => {
      const user = await registerUser(api);
      const code = codeFrom(await smtp.waitForSubject(user.email, VERIFICATION));
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push((await verify(user, wrong(code))).status);
      expect(statuses.slice(0, 10).every((status) => status === 400)).toBe(true);
      expect(statuses[10]).toBe(429);
    });

    it('refuses addresses a mail client would read as another mailbox, with 400', async () => {
      for (const email of [
        'z\u2028b@example.com',
        '"z\r\nb"@example.com',
        'a\u00a0b@example.com',
      ]) {
        const response = await api.fetch(
          '/api/v1/auth/register',
          json({ email, password: strongPassword(), name: 'Odd' }, clientAddress()),
        );
        expect(response.status).toBe(400);
      }
      const user = await registerUser(api);
      const change = await post('/api/v1/users/me/email', user, {
        newEmail: 'z\u2028b@example.com',
        password: user.password,
      });
      expect(change.status).toBe(400);
    });

    it('refuses malformed codes and unknown fields with 400', async () => {
      const user = await registerUser(api);
      expect((await post('/api/v1/auth/email/verify', user, { code: '12345' })).status).toBe(400);
      expect((await post('/api/v1/auth/email/verify', user, { code: 123456 })).status).toBe(400);
      expect(
        (await post('/api/v1/auth/email/verify', user, { code: '123456', email: 'x@y.z' })).status,
      ).toBe(400);
      expect((await api.fetch('/api/v1/auth/email/verify', json({ code: '123456' }))).status).toBe(
        401,
      );
    });

    it('shows emailVerified in the export', async () => {
      const user = await registerUser(api);
      const code = codeFrom(await smtp.waitForSubject(user.email, VERIFICATION));
      await verify(user, code);
      const exported = (await (
        await api.fetch('/api/v1/users/me/export', bearer(user.accessToken))
      ).json()) as { profile: { emailVerified: boolean } };
      expect(exported.profile.emailVerified).toBe(true);
    });
  });

  describe('email change', () => {
    const requestChange = (user: RegisteredUser, newEmail: string, password = user.password) =>
      post('/api/v1/users/me/email', user, { newEmail, password });
    const confirmChange = (user: RegisteredUser, code: string) =>
      post('/api/v1/users/me/email/confirm', user, { code });

    it('changes the address only with the code mailed to the new one', async () => {
      const user = await registerUser(api);
      const other = (await (await login(api, user.email, user.password)).json()) as {
        refreshToken: string;
      };
      const newEmail = uniqueEmail('moved');
      const response = await requestChange(user, `  ${newEmail.toUpperCase()} `);
      expect(response.status).toBe(202);
      const notice = await smtp.waitForSubject(user.email, /change of your .* email/);
      expect(notice.text).toContain(newEmail);
      const code = codeFrom(await smtp.waitForSubject(newEmail, CHANGE_CODE));
      expect((await profile(user)).email).toBe(user.email);

      const confirmed = await confirmChange(user, code);
      expect(confirmed.status).toBe(200);
      expect(await confirmed.json()).toMatchObject({ email: newEmail, emailVerified: true });
      expect((await smtp.waitForSubject(user.email, /address was changed/)).text).toContain(
        newEmail,
      );

      // The other session ends; this one refreshes (its access token was issued before).
      expect(
        (await api.fetch('/api/v1/auth/refresh', json({ refreshToken: other.refreshToken })))
          .status,
      ).toBe(401);
      const renewed = await api.fetch(
        '/api/v1/auth/refresh',
        json({ refreshToken: user.refreshToken }),
      );
      expect(renewed.status).toBe(200);
      expect((await login(api, user.email, user.password)).status).toBe(401);
      expect((await login(api, newEmail, user.password)).status).toBe(200);
      expect((await api.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(401);
      const { accessToken } = (await renewed.json()) as { accessToken: string };
      expect((await confirmChange({ ...user, accessToken }, code)).status).toBe(400);
    });

    it('ends a reset link mailed to the old address before the change', async () => {
      const user = await registerUser(api);
      await api.fetch('/api/v1/auth/password/forgot', json({ email: user.email }, clientAddress()));
      const link = await smtp.waitForSubject(user.email, /reset/i);
      const token = /token=([A-Za-z0-9_-]+)/.exec(link.text)![1];
      const newEmail = uniqueEmail('moved');
      expect((await requestChange(user, newEmail)).status).toBe(202);
      const code = codeFrom(await smtp.waitForSubject(newEmail, CHANGE_CODE));
      expect((await confirmChange(user, code)).status).toBe(200);

      const reset = await api.fetch(
        '/api/v1/auth/password/reset',
        json({ token, password: strongPassword() }, clientAddress()),
      );
      expect(reset.status).toBe(400);
      expect((await login(api, newEmail, user.password)).status).toBe(200);
    });

    it('mails at most 5 codes a day to one address, whoever asks', async () => {
      const target = uniqueEmail('target');
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const asker = await registerUser(api);
        statuses.push((await requestChange(asker, target)).status);
      }
      expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
      expect(smtp.mailsTo(target).length).toBeLessThanOrEqual(5);
    });

    it('needs the password: a wrong one is 401 and nothing is mailed', async () => {
      const user = await registerUser(api);
      const newEmail = uniqueEmail('nope');
      expect((await requestChange(user, newEmail, strongPassword())).status).toBe(401);
      const marker = await registerUser(api);
      await smtp.waitForSubject(marker.email, VERIFICATION);
      expect(smtp.mailsTo(newEmail)).toEqual([]);
    });

    it('answers 409 for a taken address at request, and again at confirm after a race', async () => {
      const user = await registerUser(api);
      const taken = await registerUser(api);
      expect((await requestChange(user, taken.email.toUpperCase())).status).toBe(409);

      const wanted = uniqueEmail('race');
      expect((await requestChange(user, wanted)).status).toBe(202);
      const code = codeFrom(await smtp.waitForSubject(wanted, CHANGE_CODE));
      await registerUser(api, { email: wanted });
      expect((await confirmChange(user, code)).status).toBe(409);
      expect((await profile(user)).email).toBe(user.email);
    });

    it('refuses the current address, and a code meant for verification', async () => {
      const user = await registerUser(api);
      expect((await requestChange(user, user.email)).status).toBe(400);
      const verification = codeFrom(await smtp.waitForSubject(user.email, VERIFICATION));
      const newEmail = uniqueEmail('x');
      expect((await requestChange(user, newEmail)).status).toBe(202);
      const change = codeFrom(await smtp.waitForSubject(newEmail, CHANGE_CODE));
      if (verification !== change)
        expect((await confirmChange(user, verification)).status).toBe(400);
      expect((await confirmChange(user, change)).status).toBe(200);
    });
  });

  describe('security notices', () => {
    const MAC_CHROME =
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
    const MAC_CHROME_NEWER = MAC_CHROME.replace('Chrome/120', 'Chrome/131');
    const WINDOWS_FIREFOX =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0';
    const NEW_SIGN_IN = /New sign-in/;

    /** A later mail to another address shows the mail before it has been handled. */
    async function settled(): Promise<void> {
      const marker = await registerUser(api);
      await smtp.waitForSubject(marker.email, VERIFICATION);
    }
    const signIns = (email: string) =>
      smtp.mailsTo(email).filter((mail) => NEW_SIGN_IN.test(mail.subject));

    it('mails a sign-in from a kind of device not seen on the account for 90 days', async () => {
      const user = await registerUser(api, { headers: { 'user-agent': MAC_CHROME } });
      const address = clientAddress();
      expect(
        (await login(api, user.email, user.password, { 'user-agent': MAC_CHROME_NEWER })).status,
      ).toBe(200);
      await settled();
      expect(signIns(user.email)).toEqual([]);

      await login(api, user.email, user.password, { 'user-agent': WINDOWS_FIREFOX, ...address });
      const notice = await smtp.waitForSubject(user.email, NEW_SIGN_IN);
      expect(notice.text).toContain('Firefox on Windows');
      expect(notice.text).toContain(address['x-forwarded-for']);

      await login(api, user.email, user.password, { 'user-agent': WINDOWS_FIREFOX });
      await settled();
      expect(signIns(user.email)).toHaveLength(1);

      clock.advance(91 * 86_400_000);
      await login(api, user.email, user.password, { 'user-agent': WINDOWS_FIREFOX });
      await eventually('a second notice', () =>
        signIns(user.email).length === 2 ? true : undefined,
      );
    });

    it('records the first device of an account that has none on record without a notice', async () => {
      const user = await registerUser(api, { headers: { 'user-agent': MAC_CHROME } });
      // Registration records its device after answering: wait for it before forgetting it.
      await eventually('the registration device', async () => {
        const [row] = await api.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM user_devices WHERE user_id = $1`,
          [user.id],
        );
        return row.n > 0 ? true : undefined;
      });
      await api.query(`DELETE FROM user_devices WHERE user_id = $1`, [user.id]);
      await login(api, user.email, user.password, { 'user-agent': WINDOWS_FIREFOX });
      await settled();
      expect(signIns(user.email)).toEqual([]);
      await eventually('the device recorded', async () => {
        const rows = await api.query(`SELECT device FROM user_devices WHERE user_id = $1`, [
          user.id,
        ]);
        return rows.length === 1 ? rows : undefined;
      });
    });

    it('mails the account when its password is changed', async () => {
      const user = await registerUser(api);
      const response = await post('/api/v1/users/me/password', user, {
        currentPassword: user.password,
        newPassword: strongPassword(),
      });
      expect(response.status).toBe(204);
      await smtp.waitForSubject(user.email, /password was changed/);
    });
  });
});
