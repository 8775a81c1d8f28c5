import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { PasswordResetRequests } from '../../src/modules/auth/password-reset.service.js';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  bearer,
  clientAddress,
  login,
  registerUser,
  strongPassword,
  uniqueEmail,
} from '../factories/users.factory.js';
import { eventually } from '../support/eventually.js';
import { resetTokenFrom, TestSmtpServer } from '../support/smtp.js';
import { json, LogCapture, startTestApp, type TestApp } from '../support/test-app.js';

const RESET = /reset/i;

describe('password reset by email', () => {
  let api: TestApp;
  const smtp = new TestSmtpServer();

  beforeAll(async () => {
    await smtp.start();
    api = await startTestApp({
      env: smtp.env,
    });
  });
  afterAll(async () => {
    await api.close();
    await smtp.stop();
  });

  const forgot = (email: string) =>
    api.fetch('/api/v1/auth/password/forgot', json({ email }, clientAddress()));
  const reset = (token: string, password: string) =>
    api.fetch('/api/v1/auth/password/reset', json({ token, password }, clientAddress()));

  it('answers 202 the same way whether or not the account exists', async () => {
    const user = await registerUser(api);
    const known = await forgot(user.email);
    const unknown = await forgot(uniqueEmail('nobody'));
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(await known.json()).toEqual(await unknown.json());
    await smtp.waitForSubject(user.email, RESET);
  });

  it('mails a single-use token that sets the password and ends every session', async () => {
    const user = await registerUser(api);
    const other = (await (await login(api, user.email, user.password)).json()) as {
      refreshToken: string;
    };
    await forgot(`  ${user.email.toUpperCase()} `);
    const mail = await smtp.waitForSubject(user.email, RESET);
    expect(mail.subject).toMatch(/reset/i);
    const token = resetTokenFrom(mail);

    const password = strongPassword();
    expect((await reset(token, password)).status).toBe(204);
    expect((await reset(token, strongPassword())).status).toBe(400);

    expect((await login(api, user.email, user.password)).status).toBe(401);
    expect((await login(api, user.email, password)).status).toBe(200);
    expect((await api.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(401);
    expect(
      (await api.fetch('/api/v1/auth/refresh', json({ refreshToken: other.refreshToken }))).status,
    ).toBe(401);
    const rows = await api.query(
      `SELECT token_hash FROM password_reset_tokens WHERE user_id = $1`,
      [user.id],
    );
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('lets a newer token supersede an older one', async () => {
    const user = await registerUser(api);
    await forgot(user.email);
    const first = resetTokenFrom(await smtp.waitForSubject(user.email, RESET));
    smtp.mails.length = 0;
    await forgot(user.email);
    const second = resetTokenFrom(await smtp.waitForSubject(user.email, RESET));
    expect(second).not.toBe(first);
    expect((await reset(first, strongPassword())).status).toBe(400);
    expect((await reset(second, strongPassword())).status).toBe(204);
  });

  it('refuses an expired token and a weak new password', async () => {
    const user = await registerUser(api);
    await forgot(user.email);
    const token = resetTokenFrom(await smtp.waitForSubject(user.email, RESET));
    expect((await reset(token, 'password123')).status).toBe(400);
    await api.query(
      `UPDATE password_reset_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
      [user.id],
    );
    expect((await reset(token, strongPassword())).status).toBe(400);
  });

  it('limits reset requests per email', async () => {
    const email = uniqueEmail('limited');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await forgot(email)).status);
    expect(statuses).toEqual([202, 202, 202, 429]);
  });
});

describe('password reset without SMTP', () => {
  it('writes the mail to the log in development', async () => {
    const logs = new LogCapture();
    const api = await startTestApp({
      env: { LOG_LEVEL: 'info', NODE_ENV: 'development' },
      logDestination: logs,
    });
    try {
      const user = await registerUser(api);
      expect(
        (await api.fetch('/api/v1/auth/password/forgot', json({ email: user.email }))).status,
      ).toBe(202);
      // The mail is prepared after the answer.
      await eventually('the reset mail in the log', () => /reset-password\?token=/.test(logs.text));
      expect(logs.text).toMatch(/reset-password\?token=/);
    } finally {
      await api.close();
    }
  });

  // Issue 11, item 6: the contract promises 202 always; this route answered 503 here.
  it('answers 202 in production, logs at boot once that mail is off, and mails nothing', async () => {
    const logs = new LogCapture();
    const api = await startTestApp({
      env: { NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(64), LOG_LEVEL: 'info' },
      logDestination: logs,
    });
    try {
      const atBoot = logs.lines.filter((line) => /Mail is not configured/.test(String(line.msg)));
      expect(atBoot).toHaveLength(1);
      expect(atBoot[0].level).toBe('error');

      const user = await registerUser(api);
      // The reset is prepared after the answer: what must not happen is that it starts at all.
      const sending = jest.spyOn(
        api.app.get(PasswordResetRequests) as unknown as { send(): Promise<void> },
        'send',
      );
      const response = await api.fetch(
        '/api/v1/auth/password/forgot',
        json({ email: user.email }, clientAddress()),
      );
      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({
        message: 'If an account exists for this email, a reset link has been sent',
      });

      const notSent = logs.lines.filter((line) => /reset mail not sent/.test(String(line.msg)));
      expect(notSent).toHaveLength(1);
      expect(notSent[0].level).toBe('warn');
      expect(logs.text).not.toContain(user.email);
      expect(logs.text).not.toMatch(/reset-password\?token=/);
      expect(sending).not.toHaveBeenCalled();
      const tokens = await api.query('SELECT 1 FROM password_reset_tokens WHERE user_id = $1', [
        user.id,
      ]);
      expect(tokens).toHaveLength(0);
    } finally {
      await api.close();
    }
  });
});

describe('failed-login limits', () => {
  let api: TestApp;
  const smtp = new TestSmtpServer();

  beforeAll(async () => {
    await smtp.start();
    api = await startTestApp({
      env: {
        SMTP_URL: smtp.url,
        LOGIN_MAX_FAILURES_PER_EMAIL: '3',
        LOGIN_MAX_FAILURES_PER_IP: '6',
        LOGIN_LOCK_SECONDS: '2',
      },
    });
  });
  afterAll(async () => {
    await api.close();
    await smtp.stop();
  });

  it('locks an email after repeated failures, refuses even the right password, and unlocks by itself', async () => {
    const user = await registerUser(api);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await login(api, user.email, 'wrong-password-x')).status);
    expect(statuses).toEqual([401, 401, 401]);

    const locked = await login(api, user.email, user.password);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // From another address too: the lock is on the account's email.
    expect((await login(api, user.email.toUpperCase(), user.password)).status).toBe(429);

    // A real wait: the lock ends by the rate-limit store's own expiry (Redis PEXPIRE), which
    // no clock of the API's can move; that it does end is what is under test.
    await sleep(2200);
    expect((await login(api, user.email, user.password)).status).toBe(200);
  });

  it('limits one address across many emails, and a spoofed header does not reset it', async () => {
    const address = { 'x-forwarded-for': '198.51.100.200' };
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++)
      statuses.push((await login(api, uniqueEmail('spray'), 'wrong-password-x', address)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
    expect((await login(api, uniqueEmail('spray'), 'wrong-password-x', address)).status).toBe(429);
    // The proxy hop is trusted, so the client is the right-most untrusted address: a value the
    // client adds on the left is not the address that is counted.
    const spoofed = { 'x-forwarded-for': '203.0.113.9, 198.51.100.200' };
    expect((await login(api, uniqueEmail('spray'), 'wrong-password-x', spoofed)).status).toBe(429);
  });

  it('still lets a locked-out user reset their password, which lifts the lock', async () => {
    const user = await registerUser(api);
    for (let i = 0; i < 3; i++) await login(api, user.email, 'wrong-password-x');
    expect((await login(api, user.email, user.password)).status).toBe(429);

    await api.fetch('/api/v1/auth/password/forgot', json({ email: user.email }, clientAddress()));
    const token = resetTokenFrom(await smtp.waitForSubject(user.email, RESET));
    const password = strongPassword();
    expect(
      (await api.fetch('/api/v1/auth/password/reset', json({ token, password }, clientAddress())))
        .status,
    ).toBe(204);
    expect((await login(api, user.email, password)).status).toBe(200);
  });
});
