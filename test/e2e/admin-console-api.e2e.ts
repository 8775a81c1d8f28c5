import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ActivityBuffer } from '../../src/modules/activity/activity-buffer.service.js';
import { createTotpAdmin, type TotpAdmin } from '../factories/admins.factory.js';
import {
  clientAddress,
  createAdmin,
  login,
  registerUser,
  type RegisteredUser,
} from '../factories/users.factory.js';
import { ManualClock } from '../support/manual-clock.js';
import { json, startTestApp, type TestApp } from '../support/test-app.js';

interface Session {
  id: string;
  current: boolean;
  createdAt: string;
  lastUsedAt: string;
  ip: string | null;
  userAgent: string | null;
  device: { browser: string | null; os: string | null };
  mfa: boolean;
}

// The admin routes the console needs beyond the original contract: a user's sessions (and
// ending them), a user's billing timeline, and the workspaces. Guarded like every admin route.
describe('admin routes for the console', () => {
  let api: TestApp;
  const clock = new ManualClock();
  let admin: TotpAdmin;
  let passwordOnlyAdmin: RegisteredUser;
  let user: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp({ clock, env: { REQUIRE_ADMIN_MFA: 'true' } });
    admin = await createTotpAdmin(api, clock);
    passwordOnlyAdmin = await createAdmin(api);
    user = await registerUser(api);
  });
  afterAll(() => api.close());

  const call = (method: string, path: string, token?: string) =>
    api.fetch(path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...clientAddress() },
    });
  const errorOf = async (response: Response) =>
    (await response.json()) as { statusCode: number; error: string; message: string | string[] };

  const routes = (userId: string, workspaceId: string): [string, string][] => [
    ['GET', `/api/v1/admin/users/${userId}/sessions`],
    ['DELETE', `/api/v1/admin/users/${userId}/sessions`],
    ['GET', `/api/v1/admin/users/${userId}/subscription/timeline`],
    ['GET', '/api/v1/admin/workspaces'],
    ['GET', `/api/v1/admin/workspaces/${workspaceId}/members`],
  ];

  it('answers 401 without a token, 403 to a user, and 403 mfa_required to an admin without a second factor', async () => {
    for (const [method, path] of routes(user.id, randomUUID())) {
      const anonymous = await call(method, path);
      expect([method, path, anonymous.status]).toEqual([method, path, 401]);
      const member = await call(method, path, user.accessToken);
      expect([method, path, member.status]).toEqual([method, path, 403]);
      const noSecondFactor = await call(method, path, passwordOnlyAdmin.accessToken);
      expect([method, path, noSecondFactor.status]).toEqual([method, path, 403]);
      expect((await errorOf(noSecondFactor)).error).toBe('mfa_required');
    }
    // Nothing was ended by the refused DELETEs.
    expect((await call('GET', '/api/v1/users/me', user.accessToken)).status).toBe(200);
  });

  it('answers 400 for an id that is not a UUID and for unknown or out-of-range query fields', async () => {
    for (const [method, path] of routes('not-a-uuid', 'nope')) {
      if (!path.includes('not-a-uuid') && !path.includes('nope')) continue;
      const response = await call(method, path, admin.accessToken);
      expect([method, path, response.status]).toEqual([method, path, 400]);
    }
    for (const bad of [
      'limit=0',
      'limit=101',
      'page=0',
      'search=' + 'x'.repeat(101),
      'role=admin',
    ]) {
      const response = await call('GET', `/api/v1/admin/workspaces?${bad}`, admin.accessToken);
      expect([bad, response.status]).toEqual([bad, 400]);
    }
  });

  it('answers 404 for a user or workspace that does not exist', async () => {
    for (const [method, path] of routes(randomUUID(), randomUUID())) {
      if (path === '/api/v1/admin/workspaces') continue;
      const response = await call(method, path, admin.accessToken);
      expect([method, path, response.status]).toEqual([method, path, 404]);
    }
  });

  it("lists a user's live sessions, and marks the admin's own as current", async () => {
    const someone = await registerUser(api);
    expect((await login(api, someone.email, someone.password)).status).toBe(200);
    const response = await call(
      'GET',
      `/api/v1/admin/users/${someone.id}/sessions`,
      admin.accessToken,
    );
    expect(response.status).toBe(200);
    const sessions = (await response.json()) as Session[];
    expect(sessions).toHaveLength(2);
    for (const session of sessions) {
      expect(session).toEqual({
        id: expect.any(String),
        current: false,
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String),
        ip: expect.any(String),
        userAgent: expect.anything(),
        device: expect.any(Object),
        mfa: false,
      });
    }
    const own = (await (
      await call('GET', `/api/v1/admin/users/${admin.id}/sessions`, admin.accessToken)
    ).json()) as Session[];
    expect(own.filter((session) => session.current)).toEqual([
      expect.objectContaining({ current: true, mfa: true }),
    ]);
  });

  it('ends every session of a user: their access and refresh tokens are refused at once', async () => {
    const someone = await registerUser(api);
    const ended = await call(
      'DELETE',
      `/api/v1/admin/users/${someone.id}/sessions`,
      admin.accessToken,
    );
    expect(ended.status).toBe(204);
    expect((await call('GET', '/api/v1/users/me', someone.accessToken)).status).toBe(401);
    const refresh = await api.fetch(
      '/api/v1/auth/refresh',
      json({ refreshToken: someone.refreshToken }, clientAddress()),
    );
    expect(refresh.status).toBe(401);
    const left = await call('GET', `/api/v1/admin/users/${someone.id}/sessions`, admin.accessToken);
    expect(await left.json()).toEqual([]);
    // The account itself still works: a new sign-in starts a new session.
    expect((await login(api, someone.email, someone.password)).status).toBe(200);

    await api.app.get(ActivityBuffer).flush();
    const recorded = await api.query<{ action: string; metadata: { by: string } }>(
      `SELECT action, metadata FROM user_activities WHERE user_id = $1 AND action = 'user.sessions_ended'`,
      [someone.id],
    );
    expect(recorded).toEqual([{ action: 'user.sessions_ended', metadata: { by: admin.id } }]);
  });

  it("records an administrator's actions on a user without the administrator's address or browser", async () => {
    const someone = await registerUser(api);
    const asAdmin = (method: string, path: string, body?: object) =>
      api.fetch(path, {
        method,
        headers: {
          authorization: `Bearer ${admin.accessToken}`,
          'x-forwarded-for': '203.0.113.9',
          'user-agent': 'AdminBrowser/1',
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body && JSON.stringify(body),
      });
    const users = `/api/v1/admin/users/${someone.id}`;
    expect((await asAdmin('DELETE', `${users}/sessions`)).status).toBe(204);
    expect((await asAdmin('PATCH', users, { isActive: false })).status).toBe(200);
    expect((await asAdmin('PATCH', users, { isActive: true })).status).toBe(200);
    expect((await asAdmin('PUT', `${users}/subscription`, { plan: 'pro' })).status).toBe(200);

    await api.app.get(ActivityBuffer).flush();
    const recorded = await api.query<{ action: string; ip: string | null; agent: string | null }>(
      `SELECT action, host(ip_address) AS ip, user_agent AS agent FROM user_activities
        WHERE user_id = $1 AND metadata->>'by' = $2 ORDER BY created_at`,
      [someone.id, admin.id],
    );
    expect(recorded.map(({ action }) => action).sort()).toEqual([
      'billing.plan_changed',
      'user.active_changed',
      'user.active_changed',
      'user.sessions_ended',
    ]);
    for (const row of recorded) expect(row).toMatchObject({ ip: null, agent: null });
  });

  it("refuses to end the admin's own sessions here (400), leaving them working", async () => {
    const response = await call(
      'DELETE',
      `/api/v1/admin/users/${admin.id}/sessions`,
      admin.accessToken,
    );
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toMatch(/logout-all/);
    expect((await call('GET', '/api/v1/users/me', admin.accessToken)).status).toBe(200);
  });

  it("shows a user's billing timeline, an admin's grant included", async () => {
    const someone = await registerUser(api);
    const empty = await call(
      'GET',
      `/api/v1/admin/users/${someone.id}/subscription/timeline`,
      admin.accessToken,
    );
    expect(empty.status).toBe(200);
    expect(await empty.json()).toEqual([]);
    const grant = await api.fetch(`/api/v1/admin/users/${someone.id}/subscription`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ plan: 'pro' }),
    });
    expect(grant.status).toBe(200);
    const response = await call(
      'GET',
      `/api/v1/admin/users/${someone.id}/subscription/timeline`,
      admin.accessToken,
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([
      expect.objectContaining({ cause: 'admin_grant', summary: 'Pro granted by an administrator' }),
    ]);
  });

  it('lists every workspace by name with member counts, searches and pages, and shows members', async () => {
    const owner = await registerUser(api);
    const tag = randomUUID().slice(0, 8);
    const created: { id: string; name: string }[] = [];
    for (const name of [`Zeta ${tag}`, `alpha ${tag}`, `Mid ${tag}`]) {
      const response = await api.fetch(
        '/api/v1/workspaces',
        json({ name }, { authorization: `Bearer ${owner.accessToken}`, ...clientAddress() }),
      );
      expect(response.status).toBe(201);
      created.push((await response.json()) as { id: string; name: string });
    }
    const first = await call(
      'GET',
      `/api/v1/admin/workspaces?search=${tag}&limit=2`,
      admin.accessToken,
    );
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({
      items: [
        {
          id: created[1].id,
          name: `alpha ${tag}`,
          memberCount: 1,
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        },
        {
          id: created[2].id,
          name: `Mid ${tag}`,
          memberCount: 1,
          createdAt: expect.any(String),
          updatedAt: expect.any(String),
        },
      ],
      total: 3,
      page: 1,
      limit: 2,
    });
    const second = (await (
      await call('GET', `/api/v1/admin/workspaces?search=${tag}&limit=2&page=2`, admin.accessToken)
    ).json()) as { items: { name: string }[] };
    expect(second.items.map((item) => item.name)).toEqual([`Zeta ${tag}`]);
    // % and _ are searched for as themselves.
    const literal = (await (
      await call(
        'GET',
        `/api/v1/admin/workspaces?search=${encodeURIComponent('%')}`,
        admin.accessToken,
      )
    ).json()) as { total: number };
    expect(literal.total).toBe(0);

    const members = await call(
      'GET',
      `/api/v1/admin/workspaces/${created[0].id}/members`,
      admin.accessToken,
    );
    expect(members.status).toBe(200);
    expect(await members.json()).toEqual([
      {
        userId: owner.id,
        email: owner.email,
        name: 'Test User',
        role: 'owner',
        joinedAt: expect.any(String),
      },
    ]);
  });
});
