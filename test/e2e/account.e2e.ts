import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { DomainEvents, type DomainEvent } from '../../src/common/events/domain-events.js';
import { bearer, login, registerUser, strongPassword } from '../factories/users.factory.js';
import { json, startTestApp, type TestApp } from '../support/test-app.js';

describe('account self-service', () => {
  let api: TestApp;
  const erasing: string[] = [];

  beforeAll(async () => {
    api = await startTestApp();
    // Stands in for Billing, which cancels a paid subscription when a user is erased.
    api.app.get(EventEmitter2).on(DomainEvents.Erasing, (event: DomainEvent) => {
      erasing.push(event.userId!);
    });
  });
  afterAll(() => api.close());

  const send = (method: string, path: string, token: string, body: unknown) =>
    api.fetch(path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  describe('password change', () => {
    it('keeps the current session, ends the others and every access token', async () => {
      const user = await registerUser(api);
      const other = (await (await login(api, user.email, user.password)).json()) as {
        accessToken: string;
        refreshToken: string;
      };
      const password = strongPassword();
      const response = await send('POST', '/api/v1/users/me/password', user.accessToken, {
        currentPassword: user.password,
        newPassword: password,
      });
      expect(response.status).toBe(204);
      expect((await api.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(401);
      expect((await api.fetch('/api/v1/users/me', bearer(other.accessToken))).status).toBe(401);
      expect(
        (await api.fetch('/api/v1/auth/refresh', json({ refreshToken: other.refreshToken })))
          .status,
      ).toBe(401);
      const current = await api.fetch(
        '/api/v1/auth/refresh',
        json({ refreshToken: user.refreshToken }),
      );
      expect(current.status).toBe(200);
      expect((await login(api, user.email, user.password)).status).toBe(401);
      expect((await login(api, user.email, password)).status).toBe(200);
    });

    // Issue 10, item 13: a wrong current password is a failed proof of identity: 401, not 400.
    it('refuses a wrong current password with 401 and a weak new one with 400', async () => {
      const user = await registerUser(api);
      const wrong = await send('POST', '/api/v1/users/me/password', user.accessToken, {
        currentPassword: 'wrong-password-x',
        newPassword: strongPassword(),
      });
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toMatchObject({ message: 'Current password is incorrect' });
      expect(
        (
          await send('POST', '/api/v1/users/me/password', user.accessToken, {
            currentPassword: user.password,
            newPassword: 'qwertyuiop',
          })
        ).status,
      ).toBe(400);
      expect((await api.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(200);
    });
  });

  // Issue 10, item 13: the OpenAPI document tells clients about that 401.
  it('documents the 401 for a wrong current password in the OpenAPI document', async () => {
    const document = (await (await api.fetch('/docs/openapi.json')).json()) as {
      paths: Record<string, { post?: { responses: Record<string, { description: string }> } }>;
    };
    const responses = document.paths['/api/v1/users/me/password'].post!.responses;
    expect(responses['401'].description).toMatch(/current password/i);
    expect(responses['400'].description).toMatch(/new password/i);
  });

  it('exports everything held about the user, without secrets', async () => {
    const user = await registerUser(api);
    await api.query(
      `INSERT INTO user_activities (user_id, action, resource, metadata, ip_address) VALUES ($1, 'sheet.opened', 'sheet', '{"rows": 10}', '10.1.2.3')`,
      [user.id],
    );
    const response = await api.fetch('/api/v1/users/me/export', bearer(user.accessToken));
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      exportedAt: expect.any(String),
      profile: { id: user.id, email: user.email, subscription: { plan: 'free' } },
      sessions: [
        expect.objectContaining({ id: expect.any(String), userAgent: 'node', revokedAt: null }),
      ],
      // With the server's own events (registration), written as soon as they are recorded.
      activity: expect.arrayContaining([
        expect.objectContaining({
          action: 'sheet.opened',
          metadata: { rows: 10 },
          ipAddress: '10.1.2.3',
          source: 'client',
        }),
      ]),
    });
    const text = JSON.stringify(body);
    expect(text).not.toMatch(/\$argon2|token_?hash|password/i);
    expect(text).not.toContain(user.refreshToken);
  });

  it('erases the user and every row tied to them, after asking Billing', async () => {
    const user = await registerUser(api);
    await api.query(`INSERT INTO user_activities (user_id, action) VALUES ($1, 'sheet.opened')`, [
      user.id,
    ]);
    expect(
      (await send('DELETE', '/api/v1/users/me', user.accessToken, { password: 'wrong-password-x' }))
        .status,
    ).toBe(400);
    const response = await send('DELETE', '/api/v1/users/me', user.accessToken, {
      password: user.password,
    });
    expect(response.status).toBe(204);
    expect(erasing).toContain(user.id);
    for (const table of ['users', 'subscriptions', 'user_sessions', 'user_activities']) {
      const column = table === 'users' ? 'id' : 'user_id';
      expect(await api.query(`SELECT 1 FROM ${table} WHERE ${column} = $1`, [user.id])).toEqual([]);
    }
    expect((await api.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(401);
    expect(
      (await api.fetch('/api/v1/auth/refresh', json({ refreshToken: user.refreshToken }))).status,
    ).toBe(401);
    expect((await login(api, user.email, user.password)).status).toBe(401);
  });

  it('keeps everything when Billing cannot cancel', async () => {
    const user = await registerUser(api);
    const refuse = () => {
      throw new Error('payment provider unreachable');
    };
    const emitter = api.app.get(EventEmitter2);
    emitter.on(DomainEvents.Erasing, refuse);
    try {
      const response = await send('DELETE', '/api/v1/users/me', user.accessToken, {
        password: user.password,
      });
      expect(response.status).toBe(500);
    } finally {
      emitter.off(DomainEvents.Erasing, refuse);
    }
    expect(await api.query(`SELECT 1 FROM users WHERE id = $1`, [user.id])).toHaveLength(1);
    expect((await api.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(200);
  });
});
