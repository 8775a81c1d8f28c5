import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ActivityBuffer } from '../../src/modules/activity/activity-buffer.service.js';
import { ActivitySeeder } from '../../src/modules/activity/activity-seeder.service.js';
import { AnalyticsRepository } from '../../src/modules/activity/analytics.repository.js';
import {
  bearer,
  createAdmin,
  registerUser,
  type RegisteredUser,
} from '../factories/users.factory.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import type { AnalyticsOverviewDto as Overview } from '../client/generated/types.gen.js';

describe('admin analytics overview', () => {
  let api: TestApp;
  let admin: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp({ env: { ACTIVITY_FLUSH_MS: '50' } });
    await api.app.get(ActivitySeeder).seed(40, 3000, 20);
    admin = await createAdmin(api);
    // The seeded and the admin's own events are all written before the counts are compared.
    await api.app.get(ActivityBuffer).flush();
  });
  afterAll(() => api.close());

  const day = (offset: number) =>
    new Date(Date.now() - offset * 86_400_000).toISOString().slice(0, 10);

  it('matches brute-force counts over the raw tables', async () => {
    const from = day(14);
    const to = day(2);
    const response = await api.fetch(
      `/api/v1/admin/analytics/overview?from=${from}&to=${to}`,
      bearer(admin.accessToken),
    );
    expect(response.status).toBe(200);
    const overview = (await response.json()) as Overview;
    expect(overview.range).toEqual({ from, to });

    const one = async <T>(sql: string, parameters: unknown[] = []) =>
      (await api.query<T>(sql, parameters))[0];
    const utc = `(created_at AT TIME ZONE 'UTC')::date`;
    expect(overview.users).toEqual(
      await one(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE ${utc} BETWEEN $1::date AND $2::date)::int AS new FROM users`,
        [from, to],
      ),
    );
    expect(overview.activeUsers).toEqual(
      await one(
        `SELECT count(DISTINCT user_id) FILTER (WHERE ${utc} = $1::date)::int AS dau,
                count(DISTINCT user_id) FILTER (WHERE ${utc} > $1::date - 7)::int AS wau,
                count(DISTINCT user_id)::int AS mau
           FROM user_activities WHERE user_id IS NOT NULL AND ${utc} > $1::date - 30 AND ${utc} <= $1::date`,
        [to],
      ),
    );
    expect(overview.activeUsers.mau).toBeGreaterThan(0);
    expect(overview.planMix).toEqual(
      await api.query(
        `SELECT coalesce(features->>'plan', plan) AS plan, count(*)::int AS users FROM subscriptions GROUP BY 1 ORDER BY 2 DESC, 1`,
      ),
    );
    const signups = await api.query<{ day: string; signups: number }>(
      `SELECT to_char(${utc}, 'YYYY-MM-DD') AS day, count(*)::int AS signups FROM users
        WHERE ${utc} BETWEEN $1::date AND $2::date GROUP BY 1`,
      [from, to],
    );
    expect(overview.signupsPerDay).toHaveLength(13);
    for (const entry of overview.signupsPerDay) {
      expect(entry.signups).toBe(signups.find((row) => row.day === entry.day)?.signups ?? 0);
    }
    expect(overview.topActions).toEqual(
      await api.query<{ action: string; source: string; events: number }>(
        `SELECT action, source, count(*)::int AS events FROM user_activities
          WHERE ${utc} BETWEEN $1::date AND $2::date GROUP BY action, source
          ORDER BY count(*) DESC, action, source LIMIT 10`,
        [from, to],
      ),
    );
  });

  // Issue 10, item 4: top actions can be read per source.
  it("filters top actions by source: the web app's or the server's", async () => {
    const read = async (query: string) => {
      const response = await api.fetch(
        `/api/v1/admin/analytics/overview?from=${day(20)}&to=${day(0)}${query}`,
        bearer(admin.accessToken),
      );
      expect(response.status).toBe(200);
      return ((await response.json()) as Overview).topActions;
    };
    const server = await read('&source=server');
    expect(server.map((row) => row.action)).toEqual(
      expect.arrayContaining(['auth.login', 'auth.registered']),
    );
    expect(server.every((row) => row.source === 'server')).toBe(true);
    const client = await read('&source=client');
    expect(client.length).toBeGreaterThan(0);
    expect(client.every((row) => row.source === 'client' && !row.action.startsWith('auth.'))).toBe(
      true,
    );
    const invalid = await api.fetch(
      `/api/v1/admin/analytics/overview?source=browser`,
      bearer(admin.accessToken),
    );
    expect(invalid.status).toBe(400);
  });

  it('counts active users as of today from last-active days, equal to the brute force', async () => {
    const response = await api.fetch('/api/v1/admin/analytics/overview', bearer(admin.accessToken));
    const overview = (await response.json()) as Overview;
    const utc = `(created_at AT TIME ZONE 'UTC')::date`;
    const [expected] = await api.query(
      `SELECT count(DISTINCT user_id) FILTER (WHERE ${utc} = $1::date)::int AS dau,
              count(DISTINCT user_id) FILTER (WHERE ${utc} > $1::date - 7)::int AS wau,
              count(DISTINCT user_id)::int AS mau
         FROM user_activities WHERE user_id IS NOT NULL AND ${utc} > $1::date - 30 AND ${utc} <= $1::date`,
      [day(0)],
    );
    expect(overview.activeUsers).toEqual(expected);
    expect(overview.activeUsers.dau).toBeGreaterThan(0);
  });

  it('stores the counts of a settled day and serves them from then on', async () => {
    const settled = day(5);
    await api.fetch(
      `/api/v1/admin/analytics/overview?from=${day(10)}&to=${settled}`,
      bearer(admin.accessToken),
    );
    const [row] = await api.query<{ mau: number }>(
      `SELECT mau FROM activity_daily_active WHERE day = $1::date`,
      [settled],
    );
    expect(row.mau).toBeGreaterThan(0);
  });

  it('gives DAU, WAU and MAU for each settled day of the range and its last day, equal to the brute force', async () => {
    await api.app.get(AnalyticsRepository).settleDays(100);
    const from = day(9);
    const to = day(2);
    const response = await api.fetch(
      `/api/v1/admin/analytics/overview?from=${from}&to=${to}`,
      bearer(admin.accessToken),
    );
    const overview = (await response.json()) as Overview;
    const expected = await api.query(
      `SELECT to_char(d.day, 'YYYY-MM-DD') AS day,
              count(DISTINCT a.user_id) FILTER (WHERE (a.created_at AT TIME ZONE 'UTC')::date = d.day)::int AS dau,
              count(DISTINCT a.user_id) FILTER (WHERE (a.created_at AT TIME ZONE 'UTC')::date > d.day - 7)::int AS wau,
              count(DISTINCT a.user_id)::int AS mau
         FROM (SELECT generate_series($1::date, $2::date, interval '1 day')::date AS day) AS d
         LEFT JOIN user_activities a
           ON a.user_id IS NOT NULL AND (a.created_at AT TIME ZONE 'UTC')::date > d.day - 30
          AND (a.created_at AT TIME ZONE 'UTC')::date <= d.day
        GROUP BY d.day ORDER BY d.day`,
      [from, to],
    );
    expect(overview.activeUsersPerDay).toEqual(expected);
    expect(overview.activeUsersPerDay.at(-1)).toEqual({ day: to, ...overview.activeUsers });
  });

  it('defaults to the last 30 days and validates the range', async () => {
    const response = await api.fetch('/api/v1/admin/analytics/overview', bearer(admin.accessToken));
    expect(((await response.json()) as Overview).range).toEqual({ from: day(29), to: day(0) });
    for (const query of [
      'from=2026-02-10&to=2026-02-01',
      'from=2020-01-01&to=2026-01-01',
      'from=soon',
    ]) {
      expect(
        (await api.fetch(`/api/v1/admin/analytics/overview?${query}`, bearer(admin.accessToken)))
          .status,
      ).toBe(400);
    }
  });

  it('is for admins only', async () => {
    const user = await registerUser(api);
    expect(
      (await api.fetch('/api/v1/admin/analytics/overview', bearer(user.accessToken))).status,
    ).toBe(403);
    expect((await api.fetch('/api/v1/admin/analytics/overview')).status).toBe(401);
  });
});
