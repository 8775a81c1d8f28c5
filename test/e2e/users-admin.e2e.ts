import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { DomainEvent } from '../../src/common/events/domain-events.js';
import {
  bearer,
  createAdmin,
  login,
  registerUser,
  registerVerifiedUser,
  type RegisteredUser,
} from '../factories/users.factory.js';
import { json, startTestApp, type TestApp } from '../support/test-app.js';

describe('users and admin', () => {
  let api: TestApp;
  let admin: RegisteredUser;
  const events: DomainEvent[] = [];

  beforeAll(async () => {
    api = await startTestApp();
    api.app.get(EventEmitter2).onAny((_name: string | string[], event: DomainEvent) => {
      events.push(event);
    });
    admin = await createAdmin(api);
  });
  afterAll(() => api.close());

  const patch = (path: string, token: string, body: unknown) =>
    api.fetch(path, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('GET /users/me returns the profile with the subscription', async () => {
    const user = await registerUser(api, { name: 'Grace' });
    const response = await api.fetch('/api/v1/users/me', bearer(user.accessToken));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      id: user.id,
      email: user.email,
      emailVerified: false,
      name: 'Grace',
      role: 'user',
      isActive: true,
      lastLogin: null,
      createdAt: expect.any(String),
      subscription: {
        plan: 'free',
        status: 'active',
        currentPeriodEnd: null,
        cancelAtPeriodEnd: false,
        features: {
          ai_insights: false,
          advanced_charts: false,
          export_formats: ['csv'],
          priority_support: false,
        },
        limits: {
          analyses_per_day: 10,
          ai_queries_per_day: 0,
          max_rows_per_file: 10_000,
          saved_dashboards: 1,
        },
        source: 'free',
        workspaceId: null,
      },
    });
  });

  it('PATCH /users/me renames', async () => {
    const user = await registerUser(api);
    const response = await patch('/api/v1/users/me', user.accessToken, { name: '  Hopper ' });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { name: string }).name).toBe('Hopper');
  });

  it('admin routes: 401 anonymous, 403 for users', async () => {
    const user = await registerUser(api);
    expect((await api.fetch('/api/v1/admin/users')).status).toBe(401);
    expect((await api.fetch('/api/v1/admin/users', bearer(user.accessToken))).status).toBe(403);
    expect(
      (await api.fetch(`/api/v1/admin/users/${user.id}`, bearer(user.accessToken))).status,
    ).toBe(403);
    expect(
      (await patch(`/api/v1/admin/users/${user.id}`, user.accessToken, { role: 'admin' })).status,
    ).toBe(403);
  });

  it('lists users with search, role and plan filters and pagination', async () => {
    const marker = `zeta${Date.now()}`;
    for (let i = 0; i < 3; i++) await registerUser(api, { name: `${marker} ${i}` });
    const page1 = await api.fetch(
      `/api/v1/admin/users?search=${marker}&limit=2&page=1`,
      bearer(admin.accessToken),
    );
    expect(page1.status).toBe(200);
    const body1 = (await page1.json()) as {
      items: { name: string }[];
      total: number;
      page: number;
      limit: number;
    };
    expect(body1).toMatchObject({ total: 3, page: 1, limit: 2 });
    expect(body1.items).toHaveLength(2);
    const body2 = (await (
      await api.fetch(
        `/api/v1/admin/users?search=${marker}&limit=2&page=2`,
        bearer(admin.accessToken),
      )
    ).json()) as { items: { name: string }[] };
    expect(body2.items).toHaveLength(1);
    const names = [...body1.items, ...body2.items].map((item) => item.name).sort();
    expect(names).toEqual([`${marker} 0`, `${marker} 1`, `${marker} 2`]);

    const admins = (await (
      await api.fetch('/api/v1/admin/users?role=admin', bearer(admin.accessToken))
    ).json()) as {
      items: { id: string; role: string }[];
    };
    expect(admins.items.every((item) => item.role === 'admin')).toBe(true);
    expect(admins.items.some((item) => item.id === admin.id)).toBe(true);
    const free = (await (
      await api.fetch(`/api/v1/admin/users?plan=free&search=${marker}`, bearer(admin.accessToken))
    ).json()) as { total: number };
    expect(free.total).toBe(3);
    const pro = (await (
      await api.fetch(`/api/v1/admin/users?plan=pro&search=${marker}`, bearer(admin.accessToken))
    ).json()) as { total: number };
    expect(pro.total).toBe(0);
  });

  it('treats search wildcards literally and validates the query', async () => {
    const matchAll = (await (
      await api.fetch('/api/v1/admin/users?search=%25', bearer(admin.accessToken))
    ).json()) as {
      total: number;
    };
    expect(matchAll.total).toBe(0);
    for (const query of ['limit=1000', 'page=0', 'role=root', 'plan=gold', 'extra=1']) {
      expect(
        (await api.fetch(`/api/v1/admin/users?${query}`, bearer(admin.accessToken))).status,
      ).toBe(400);
    }
  });

  it('gets one user; 404 for an unknown id, 400 for a malformed one', async () => {
    const user = await registerUser(api);
    const response = await api.fetch(`/api/v1/admin/users/${user.id}`, bearer(admin.accessToken));
    expect(response.status).toBe(200);
    expect(((await response.json()) as { subscription: { plan: string } }).subscription.plan).toBe(
      'free',
    );
    expect(
      (
        await api.fetch(
          '/api/v1/admin/users/7b6f5d2e-1c3a-4d5e-8f90-123456789abc',
          bearer(admin.accessToken),
        )
      ).status,
    ).toBe(404);
    expect(
      (await api.fetch('/api/v1/admin/users/not-a-uuid', bearer(admin.accessToken))).status,
    ).toBe(400);
  });

  it('deactivation refuses the user at once: access token, refresh and login', async () => {
    const user = await registerUser(api);
    expect((await api.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(200);
    const response = await patch(`/api/v1/admin/users/${user.id}`, admin.accessToken, {
      isActive: false,
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { isActive: boolean }).isActive).toBe(false);
    expect((await api.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(401);
    expect(
      (await api.fetch('/api/v1/auth/refresh', json({ refreshToken: user.refreshToken }))).status,
    ).toBe(401);
    expect((await login(api, user.email, user.password)).status).toBe(401);
    expect(
      events.some((event) => event.name === 'user.active_changed' && event.userId === user.id),
    ).toBe(true);

    await patch(`/api/v1/admin/users/${user.id}`, admin.accessToken, { isActive: true });
    expect((await login(api, user.email, user.password)).status).toBe(200);
  });

  it('refuses to promote an account whose email is not verified (403 email_not_verified)', async () => {
    const user = await registerUser(api);
    const response = await patch(`/api/v1/admin/users/${user.id}`, admin.accessToken, {
      role: 'admin',
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: 'email_not_verified' });
    expect((await api.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(200);
    const [row] = await api.query<{ role: string }>(`SELECT role FROM users WHERE id = $1`, [
      user.id,
    ]);
    expect(row.role).toBe('user');
  });

  it('a role change cuts off the old token; a new login carries the new role', async () => {
    const user = await registerVerifiedUser(api);
    expect(
      (await patch(`/api/v1/admin/users/${user.id}`, admin.accessToken, { role: 'admin' })).status,
    ).toBe(200);
    expect((await api.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(401);
    const fresh = (await (await login(api, user.email, user.password)).json()) as {
      accessToken: string;
    };
    expect((await api.fetch('/api/v1/admin/users', bearer(fresh.accessToken))).status).toBe(200);
    expect(
      events.some((event) => event.name === 'user.role_changed' && event.userId === user.id),
    ).toBe(true);
  });

  it('refuses an admin changing themself, an empty change and unknown fields', async () => {
    expect(
      (await patch(`/api/v1/admin/users/${admin.id}`, admin.accessToken, { role: 'user' })).status,
    ).toBe(400);
    const user = await registerUser(api);
    expect((await patch(`/api/v1/admin/users/${user.id}`, admin.accessToken, {})).status).toBe(400);
    expect(
      (await patch(`/api/v1/admin/users/${user.id}`, admin.accessToken, { email: 'x@y.z' })).status,
    ).toBe(400);
  });

  // Review of issue 12: an id sent in capitals matched the row in PostgreSQL but missed the
  // cache keys and the "is it me" check, so a deactivated user's tokens kept working for up to
  // a minute and an admin could change their own access.
  it('treats an id in capitals as the same user: at once, and never the caller', async () => {
    const user = await registerUser(api);
    const upper = user.id.toUpperCase();
    expect(
      (await patch(`/api/v1/admin/users/${upper}`, admin.accessToken, { isActive: false })).status,
    ).toBe(200);
    expect((await api.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(401);
    const seen = (await (
      await api.fetch(`/api/v1/admin/users/${user.id}`, bearer(admin.accessToken))
    ).json()) as { isActive: boolean };
    expect(seen.isActive).toBe(false);
    expect(
      (
        await patch(`/api/v1/admin/users/${admin.id.toUpperCase()}`, admin.accessToken, {
          role: 'user',
        })
      ).status,
    ).toBe(400);
  });

  it('refuses null for role or isActive instead of changing nothing', async () => {
    const user = await registerUser(api);
    for (const body of [{ role: null }, { isActive: null }]) {
      expect((await patch(`/api/v1/admin/users/${user.id}`, admin.accessToken, body)).status).toBe(
        400,
      );
    }
    expect((await api.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(200);
  });
});
