import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { DomainEvent } from '../../src/common/events/domain-events.js';
import {
  bearer,
  clientAddress,
  login,
  registerUser,
  strongPassword,
  uniqueEmail,
} from '../factories/users.factory.js';
import { json, startTestApp, type TestApp } from '../support/test-app.js';

/** Fails if any key or value anywhere in the document looks like a secret. */
function expectNoSecrets(document: unknown): void {
  const text = JSON.stringify(document);
  expect(text).not.toMatch(/\$argon2/);
  expect(text).not.toMatch(
    /"(password|passwordHash|password_hash|tokenHash|token_hash|resetToken)"/i,
  );
}

describe('registration and login', () => {
  let api: TestApp;
  const events: DomainEvent[] = [];

  beforeAll(async () => {
    api = await startTestApp();
    api.app.get(EventEmitter2).onAny((_name: string | string[], event: DomainEvent) => {
      events.push(event);
    });
  });
  afterAll(() => api.close());

  it('registers a user with a free subscription and a token pair, without secrets, not cacheable', async () => {
    const email = uniqueEmail('reg');
    const response = await api.fetch(
      '/api/v1/auth/register',
      json(
        { email, password: strongPassword(), name: '  Ada  ' },
        { 'user-agent': 'jest-agent/1.0', ...clientAddress() },
      ),
    );
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, unknown> & {
      user: Record<string, unknown>;
    };
    expect(body).toMatchObject({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      expiresIn: 900,
      user: {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        email,
        name: 'Ada',
        role: 'user',
        isActive: true,
        lastLogin: null,
        subscription: {
          plan: 'free',
          status: 'active',
          cancelAtPeriodEnd: false,
          currentPeriodEnd: null,
        },
      },
    });
    expectNoSecrets(body);
    const registered = events.find(
      (event) => event.name === 'auth.registered' && event.userId === body.user.id,
    );
    expect(registered).toMatchObject({
      ip: expect.stringMatching(/^10\./),
      userAgent: 'jest-agent/1.0',
    });
    const rows = await api.query(
      `SELECT count(*)::int AS n FROM subscriptions WHERE user_id = $1`,
      [body.user.id],
    );
    expect(rows[0].n).toBe(1);
  });

  it('normalises emails: trimmed and lower-cased for every use', async () => {
    const password = strongPassword();
    const raw = `  ${uniqueEmail('Mixed.Case').toUpperCase()} `;
    const user = await registerUser(api, { email: raw, password });
    expect(user.email).toBe(raw.trim().toLowerCase());
    const [row] = await api.query<{ email: string }>(`SELECT email FROM users WHERE id = $1`, [
      user.id,
    ]);
    expect(row.email).toBe(raw.trim().toLowerCase());
    expect((await login(api, `  ${user.email.toUpperCase()}  `, password)).status).toBe(200);
  });

  it('answers 409 to a taken email in any case, revealing nothing more', async () => {
    const user = await registerUser(api);
    const response = await api.fetch(
      '/api/v1/auth/register',
      json(
        { email: user.email.toUpperCase(), password: strongPassword(), name: 'Other' },
        clientAddress(),
      ),
    );
    expect(response.status).toBe(409);
    const body = (await response.json()) as { message: string };
    expect(body.message).toBe('An account with this email already exists');
  });

  it('gives exactly one 201 for 50 concurrent registrations of one email, and 409s, never a 500', async () => {
    const email = uniqueEmail('race');
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api.fetch(
          '/api/v1/auth/register',
          json(
            { email, password: strongPassword(), name: 'Racer' },
            { 'x-forwarded-for': `198.51.100.${i + 1}` },
          ),
        ),
      ),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(49);
    const rows = await api.query(`SELECT count(*)::int AS n FROM users WHERE email = $1`, [email]);
    expect(rows[0].n).toBe(1);
  });

  describe('password policy', () => {
    it.each([
      ['shorter than 8 characters', 'Ab1!xyz'],
      ['longer than 128 characters', `A1!${'x'.repeat(126)}`],
      ['a common password', 'password123'],
      ['a common password in other case', 'Qwertyuiop'],
    ])('refuses a password %s', async (_rule, password) => {
      const response = await api.fetch(
        '/api/v1/auth/register',
        json({ email: uniqueEmail(), password, name: 'P' }, clientAddress()),
      );
      expect(response.status).toBe(400);
    });

    it('refuses the email as password', async () => {
      const email = uniqueEmail('same');
      const response = await api.fetch(
        '/api/v1/auth/register',
        json({ email, password: email, name: 'P' }, clientAddress()),
      );
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toMatch(/email/);
    });

    it('accepts 128 characters and never truncates them', async () => {
      const password = `${strongPassword()}-${'k'.repeat(128)}`.slice(0, 128);
      expect(password).toHaveLength(128);
      const user = await registerUser(api, { password });
      expect((await login(api, user.email, password)).status).toBe(200);
      expect((await login(api, user.email, password.slice(0, 72))).status).toBe(401);
      expect((await login(api, user.email, password.slice(0, 127))).status).toBe(401);
    });
  });

  describe('mass assignment', () => {
    it.each([
      ['role', { role: 'admin' }],
      ['isActive', { isActive: false }],
      ['id', { id: '00000000-0000-4000-8000-000000000000' }],
      ['passwordHash', { passwordHash: 'x' }],
      ['lastLogin', { lastLogin: '2020-01-01T00:00:00Z' }],
    ])('refuses %s in the registration body', async (_field, extra) => {
      const email = uniqueEmail('mass');
      const response = await api.fetch(
        '/api/v1/auth/register',
        json({ email, password: strongPassword(), name: 'M', ...extra }, clientAddress()),
      );
      expect(response.status).toBe(400);
      expect(await api.query(`SELECT 1 FROM users WHERE email = $1`, [email])).toEqual([]);
    });

    it('refuses role, isActive and unknown fields on PATCH /users/me and changes nothing', async () => {
      const user = await registerUser(api);
      for (const body of [
        { name: 'X', role: 'admin' },
        { name: 'X', isActive: false },
        { name: 'X', email: 'a@b.c' },
      ]) {
        const response = await api.fetch('/api/v1/users/me', {
          method: 'PATCH',
          headers: {
            authorization: `Bearer ${user.accessToken}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify(body),
        });
        expect(response.status).toBe(400);
      }
      const me = (await (
        await api.fetch('/api/v1/users/me', bearer(user.accessToken))
      ).json()) as Record<string, unknown>;
      expect(me).toMatchObject({
        role: 'user',
        isActive: true,
        name: 'Test User',
        email: user.email,
      });
    });

    it('refuses __proto__ and constructor keys', async () => {
      for (const raw of [
        `{"email":"${uniqueEmail()}","password":"${strongPassword()}","name":"P","__proto__":{"role":"admin"}}`,
        `{"email":"${uniqueEmail()}","password":"${strongPassword()}","name":"P","constructor":{"prototype":{"role":"admin"}}}`,
      ]) {
        const response = await api.fetch('/api/v1/auth/register', {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...clientAddress() },
          body: raw,
        });
        expect(response.status).toBe(400);
      }
    });
  });

  describe('login', () => {
    it('answers 200 with the user and a token pair, and records the login', async () => {
      const user = await registerUser(api);
      const response = await login(api, user.email, user.password, {
        'user-agent': 'login-agent',
        ...clientAddress(),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const body = (await response.json()) as { user: { lastLogin: string | null } };
      expect(body.user.lastLogin).not.toBeNull();
      expectNoSecrets(body);
      expect(
        events.find((event) => event.name === 'auth.login' && event.userId === user.id),
      ).toMatchObject({
        userAgent: 'login-agent',
        ip: expect.stringMatching(/^10\./),
      });
    });

    it('gives an unknown email and a wrong password the same status, body and headers', async () => {
      const user = await registerUser(api);
      const wrong = await login(api, user.email, 'not-the-password-1');
      const unknown = await login(api, uniqueEmail('ghost'), 'not-the-password-1');
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      const strip = async (response: Response) => {
        const body = (await response.json()) as Record<string, unknown>;
        delete body.requestId;
        return body;
      };
      expect(await strip(wrong)).toEqual(await strip(unknown));
      const names = (response: Response) =>
        [...response.headers.keys()]
          .filter((name) => !['date', 'x-request-id', 'content-length'].includes(name))
          .sort();
      expect(names(wrong)).toEqual(names(unknown));
      expect(wrong.headers.get('content-length')).toBe(unknown.headers.get('content-length'));
      expect(
        events.some((event) => event.name === 'auth.login_failed' && event.userId === user.id),
      ).toBe(true);
      expect(
        events.some((event) => event.name === 'auth.login_failed' && event.userId === null),
      ).toBe(true);
    });

    it('answers 400, never 500, to input the database cannot store (a NUL character)', async () => {
      const login = await api.fetch(
        '/api/v1/auth/login',
        json({ email: 'a\u0000@example.com', password: 'x' }, clientAddress()),
      );
      expect(login.status).toBe(400);
      const register = await api.fetch(
        '/api/v1/auth/register',
        json(
          { email: uniqueEmail(), password: strongPassword(), name: 'A\u0000B' },
          clientAddress(),
        ),
      );
      expect(register.status).toBe(400);
    });

    it('upgrades a hash made with weaker parameters on the next login', async () => {
      const user = await registerUser(api);
      const argon2 = (await import('argon2')).default;
      const weak = await argon2.hash(user.password, {
        type: argon2.argon2id,
        memoryCost: 8192,
        timeCost: 1,
        parallelism: 1,
      });
      await api.query(`UPDATE users SET password_hash = $2 WHERE id = $1`, [user.id, weak]);
      expect((await login(api, user.email, user.password)).status).toBe(200);
      const [row] = await api.query<{ password_hash: string }>(
        `SELECT password_hash FROM users WHERE id = $1`,
        [user.id],
      );
      expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
      expect((await login(api, user.email, user.password)).status).toBe(200);
    });
  });
});
