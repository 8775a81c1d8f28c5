import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { ActivityBuffer } from '../../src/modules/activity/activity-buffer.service.js';
import {
  bearer,
  createAdmin,
  login,
  registerUser,
  type RegisteredUser,
} from '../factories/users.factory.js';
import { activityRow } from '../factories/activity.factory.js';
import { eventually } from '../support/eventually.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { createTestDatabase } from '../support/test-database.js';
import { json, startTestApp, type TestApp } from '../support/test-app.js';

describe('activity API: recording, validation and reading', () => {
  let api: TestApp;
  let user: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp({ env: { ACTIVITY_FLUSH_MS: '20' } });
    user = await registerUser(api);
  });
  afterAll(() => api.close());

  const post = (
    path: string,
    body: unknown,
    token = user.accessToken,
    headers: Record<string, string> = {},
  ) => api.fetch(path, json(body, { authorization: `Bearer ${token}`, ...headers }));
  const count = async (userId: string, action?: string) =>
    (
      await api.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM user_activities WHERE user_id = $1 AND ($2::text IS NULL OR action = $2)`,
        [userId, action ?? null],
      )
    )[0].n;

  // Issue 10, item 2: the 202 comes after the commit, so the row is there when it arrives.
  it('accepts an event with 202 once it is written, with address and user agent', async () => {
    const response = await post(
      '/api/v1/activity',
      {
        action: 'sheet.analysed',
        resource: 'sheet',
        resourceId: 'local-1',
        metadata: { rows: 1200, charts: ['bar'] },
      },
      user.accessToken,
      { 'user-agent': 'sheet-app/2.0', 'x-forwarded-for': '10.9.8.7' },
    );
    expect(response.status).toBe(202);
    expect(await count(user.id, 'sheet.analysed')).toBe(1);
    const [row] = await api.query<Record<string, unknown>>(
      `SELECT source, resource, resource_id, metadata, host(ip_address) AS ip, user_agent FROM user_activities WHERE user_id = $1 AND action = 'sheet.analysed'`,
      [user.id],
    );
    expect(row).toEqual({
      source: 'client',
      resource: 'sheet',
      resource_id: 'local-1',
      metadata: { rows: 1200, charts: ['bar'] },
      ip: '10.9.8.7',
      user_agent: 'sheet-app/2.0',
    });
  });

  it('accepts a batch of up to 100 and says how many', async () => {
    const other = await registerUser(api);
    const events = Array.from({ length: 100 }, (_, i) => ({
      action: 'chart.rendered',
      resourceId: `c${i}`,
    }));
    const response = await post('/api/v1/activity/batch', { events }, other.accessToken);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 100 });
    expect(await count(other.id, 'chart.rendered')).toBe(100);
  });

  // Issue 10, item 3: a client may retry safely with the same ids.
  it('answers a repeated event id with 202 again and stores it once', async () => {
    const retrier = await registerUser(api);
    const id = randomUUID();
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(
        (await post('/api/v1/activity', { id, action: 'sheet.saved' }, retrier.accessToken)).status,
      ).toBe(202);
    }
    // The same id spelled in capitals, within one batch too, is the same id.
    const batch = await post(
      '/api/v1/activity/batch',
      {
        events: [
          { id: id.toUpperCase(), action: 'sheet.saved' },
          { id: randomUUID(), action: 'sheet.saved' },
          { id: id.toUpperCase(), action: 'sheet.saved' },
        ],
      },
      retrier.accessToken,
    );
    expect(await batch.json()).toEqual({ accepted: 3 });
    expect(await count(retrier.id, 'sheet.saved')).toBe(2);
    expect((await post('/api/v1/activity', { id: 'not-a-uuid', action: 'a' })).status).toBe(400);
  });

  // Issue 10, item 1: these answered 202, then jammed the writer for every later event.
  it.each([
    ['a NUL character in metadata', { action: 'a', metadata: { x: '\u0000' } }],
    ['a NUL character in resource', { action: 'a', resource: 'a\u0000b' }],
    ['an unpaired surrogate in resourceId', { action: 'a', resourceId: 'x\ud800' }],
    ['an unpaired surrogate in a metadata key', { action: 'a', metadata: { ['\udc00']: 1 } }],
  ])(
    'refuses text PostgreSQL cannot store (%s) with 400, and keeps writing',
    async (_case, body) => {
      const response = await post('/api/v1/activity', body);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toMatch(/cannot be stored/);
      expect((await post('/api/v1/activity', { action: 'after.refusal' })).status).toBe(202);
    },
  );

  // Issue 10, item 1: behind TRUST_PROXY a forged X-Forwarded-For failed the inet cast of the
  // failed-login event, which then blocked every event after it.
  it.each(['garbage', 'fe80::1%eth0'])(
    'stores the client address %s as null and keeps writing',
    async (address) => {
      const target = await registerUser(api);
      const failed = await api.fetch(
        '/api/v1/auth/login',
        json({ email: target.email, password: 'wrong-password-x' }, { 'x-forwarded-for': address }),
      );
      expect(failed.status).toBe(401);
      await eventually(
        'the failed login to be recorded',
        async () => (await count(target.id, 'auth.login_failed')) === 1,
      );
      const [row] = await api.query<{ ip: string | null }>(
        `SELECT ip_address AS ip FROM user_activities WHERE user_id = $1 AND action = 'auth.login_failed'`,
        [target.id],
      );
      expect(row.ip).toBeNull();
      // The session a sign-in stores takes the address too.
      expect(
        (await login(api, target.email, target.password, { 'x-forwarded-for': address })).status,
      ).toBe(200);
      expect(
        (await post('/api/v1/activity', { action: 'after.garbage' }, target.accessToken)).status,
      ).toBe(202);
    },
  );

  // Issue 10, item 4: the server's namespaces are the server's alone.
  it.each([
    'auth.login',
    'user.erased',
    'billing.plan_changed',
    'subscription.x',
    'workspace.x',
    'admin.x',
    'system.x',
  ])('refuses the client action %s with 400', async (action) => {
    const response = await post('/api/v1/activity', { action });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string[] }).message.join(' ')).toContain(
      'server namespace',
    );
  });

  it.each([
    ['an action with capitals', { action: 'Sheet.Opened' }, 'action'],
    ['an action starting with a digit', { action: '1sheet' }, 'action'],
    ['an action of 101 characters', { action: `a${'b'.repeat(100)}` }, 'action'],
    ['a missing action', { resource: 'sheet' }, 'action'],
    ['a resource of 101 characters', { action: 'a', resource: 'r'.repeat(101) }, 'resource'],
    ['a resourceId of 256 characters', { action: 'a', resourceId: 'r'.repeat(256) }, 'resourceId'],
    ['metadata as an array', { action: 'a', metadata: [1, 2] }, 'metadata'],
    ['metadata as a string', { action: 'a', metadata: 'x' }, 'metadata'],
    ['metadata over 4 KB', { action: 'a', metadata: { blob: 'x'.repeat(4100) } }, 'metadata'],
    [
      'metadata nested too deep',
      { action: 'a', metadata: { a: { b: { c: { d: { e: { f: 1 } } } } } } },
      'metadata',
    ],
    ['an unknown field', { action: 'a', fileContent: 'col1,col2' }, 'fileContent'],
  ])('refuses %s with a 400 naming the field', async (_case, body, field) => {
    const response = await post('/api/v1/activity', body);
    expect(response.status).toBe(400);
    const message = ((await response.json()) as { message: string[] }).message.join(' ');
    expect(message).toContain(field);
  });

  it.each([
    ['an empty batch', { events: [] }],
    ['101 events', { events: Array.from({ length: 101 }, () => ({ action: 'a' })) }],
    ['one bad event among good ones', { events: [{ action: 'a' }, { action: 'BAD' }] }],
  ])('refuses %s and accepts none of it', async (_case, body) => {
    const fresh = await registerUser(api);
    expect((await post('/api/v1/activity/batch', body, fresh.accessToken)).status).toBe(400);
    // Anything accepted would be written before its answer: an event sent after is written
    // after it, so once that one is there, nothing of the refused batch can still come.
    expect((await post('/api/v1/activity', { action: 'b' }, fresh.accessToken)).status).toBe(202);
    // And whatever might still wait in the buffer is written now, before the count.
    await api.app.get(ActivityBuffer).flush();
    expect(await count(fresh.id, 'a')).toBe(0);
  });

  it('needs authentication', async () => {
    expect((await api.fetch('/api/v1/activity', json({ action: 'a' }))).status).toBe(401);
  });

  it("records the server's own events (register, login, failed login) with address and agent", async () => {
    const fresh = await registerUser(api, {
      headers: { 'user-agent': 'browser/1', 'x-forwarded-for': '10.1.1.1' },
    });
    await login(api, fresh.email, 'wrong-password-x', {
      'user-agent': 'browser/1',
      'x-forwarded-for': '10.1.1.2',
    });
    await login(api, fresh.email, fresh.password, {
      'user-agent': 'browser/1',
      'x-forwarded-for': '10.1.1.3',
    });
    await eventually('three server events', async () => (await count(fresh.id)) >= 3);
    const rows = await api.query<{ action: string; ip: string; user_agent: string }>(
      `SELECT action, source, host(ip_address) AS ip, user_agent FROM user_activities WHERE user_id = $1 ORDER BY created_at`,
      [fresh.id],
    );
    expect(rows).toEqual([
      { action: 'auth.registered', source: 'server', ip: '10.1.1.1', user_agent: 'browser/1' },
      { action: 'auth.login_failed', source: 'server', ip: '10.1.1.2', user_agent: 'browser/1' },
      { action: 'auth.login', source: 'server', ip: '10.1.1.3', user_agent: 'browser/1' },
    ]);
  });

  it('GET /activity/me pages newest first without gaps or duplicates while events keep arriving', async () => {
    const walker = await registerUser(api);
    const events = Array.from({ length: 50 }, (_, i) => ({
      action: 'cell.edited',
      resourceId: `e${i}`,
    }));
    await post('/api/v1/activity/batch', { events }, walker.accessToken);
    const existing = new Set(
      (
        await api.query<{ id: string }>(`SELECT id FROM user_activities WHERE user_id = $1`, [
          walker.id,
        ])
      ).map((r) => r.id),
    );

    const seen: string[] = [];
    let cursor: string | null = null;
    let previous = Infinity;
    do {
      const page = await api.fetch(
        `/api/v1/activity/me?limit=7${cursor ? `&cursor=${cursor}` : ''}`,
        bearer(walker.accessToken),
      );
      expect(page.status).toBe(200);
      const body = (await page.json()) as {
        items: { id: string; createdAt: string }[];
        nextCursor: string | null;
      };
      for (const item of body.items) {
        const at = new Date(item.createdAt).getTime();
        expect(at).toBeLessThanOrEqual(previous);
        previous = at;
        seen.push(item.id);
      }
      cursor = body.nextCursor;
      // New events arrive while the pages are walked.
      await post('/api/v1/activity', { action: 'cell.edited' }, walker.accessToken);
    } while (cursor);

    expect(new Set(seen).size).toBe(seen.length);
    for (const id of existing) expect(seen).toContain(id);
  });

  it('refuses a malformed cursor with 400', async () => {
    expect(
      (await api.fetch('/api/v1/activity/me?cursor=not-a-cursor', bearer(user.accessToken))).status,
    ).toBe(400);
  });

  it('GET /admin/activity filters by user, action and time, for admins only', async () => {
    const admin = await createAdmin(api);
    const target = await registerUser(api);
    await post(
      '/api/v1/activity/batch',
      { events: [{ action: 'x.one' }, { action: 'x.two' }, { action: 'x.one' }] },
      target.accessToken,
    );
    const response = await api.fetch(
      `/api/v1/admin/activity?userId=${target.id}&action=x.one`,
      bearer(admin.accessToken),
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      items: { action: string; userId: string; source: string }[];
      nextCursor: null;
    };
    expect(body.items).toHaveLength(2);
    expect(
      body.items.every(
        (item) => item.action === 'x.one' && item.userId === target.id && item.source === 'client',
      ),
    ).toBe(true);
    // Issue 10, item 4: the source is shown to admins and in the user's export.
    await eventually(
      'the registration to be recorded',
      async () => (await count(target.id, 'auth.registered')) === 1,
    );
    const registered = (await (
      await api.fetch(
        `/api/v1/admin/activity?userId=${target.id}&action=auth.registered`,
        bearer(admin.accessToken),
      )
    ).json()) as { items: { source: string }[] };
    expect(registered.items.map((item) => item.source)).toEqual(['server']);
    const exported = (await (
      await api.fetch('/api/v1/users/me/export', bearer(target.accessToken))
    ).json()) as { activity: { action: string; source: string }[] };
    expect(exported.activity.map(({ action, source }) => ({ action, source }))).toEqual(
      expect.arrayContaining([
        { action: 'x.one', source: 'client' },
        { action: 'auth.registered', source: 'server' },
      ]),
    );
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const none = (await (
      await api.fetch(
        `/api/v1/admin/activity?userId=${target.id}&from=${future}`,
        bearer(admin.accessToken),
      )
    ).json()) as { items: unknown[] };
    expect(none.items).toEqual([]);
    expect((await api.fetch('/api/v1/admin/activity', bearer(target.accessToken))).status).toBe(
      403,
    );
    expect(
      (await api.fetch('/api/v1/admin/activity?from=yesterday', bearer(admin.accessToken))).status,
    ).toBe(400);
  });
});

describe('activity buffer in the app: database outage and shutdown', () => {
  const serverRow = (action: string) => activityRow({ action, source: 'server' });

  it('answers 503 while the database is unreachable, writes nothing for it, keeps the server events and writes them when it returns', async () => {
    const database = await createTestDatabase();
    const proxy = TcpProxy.forUrl(database.url);
    await proxy.start();
    const api = await startTestApp({
      databaseUrl: proxy.rewrite(database.url),
      env: {
        ACTIVITY_FLUSH_MS: '5',
        ACTIVITY_FLUSH_SIZE: '10',
        ACTIVITY_BUFFER_MAX: '30',
        DB_CONNECT_TIMEOUT_MS: '300',
      },
    });
    try {
      const user = await registerUser(api);
      const buffer = api.app.get(ActivityBuffer);
      // The caller's access state is cached by this request, so requests pass while the database is away.
      expect((await api.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(200);
      await eventually('an empty activity buffer', () => buffer.depth === 0);
      await proxy.stop();
      const send = (n: number) =>
        api.fetch(
          '/api/v1/activity/batch',
          json(
            { events: Array.from({ length: n }, () => ({ action: 'outage.event' })) },
            { authorization: `Bearer ${user.accessToken}` },
          ),
        );
      const refused = await send(20);
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(buffer.depth).toBe(0);

      // The server's own events wait for the database; past the bound they are counted.
      buffer.enqueue(Array.from({ length: 25 }, () => serverRow('system.outage_probe')));
      buffer.enqueue(Array.from({ length: 10 }, () => serverRow('system.outage_probe')));
      expect(buffer.stats.droppedServerEvents).toBe(10);
      const full = await send(10);
      expect(full.status).toBe(503);
      const metrics = await (await api.fetch('/metrics')).text();
      expect(metrics).toMatch(/^activity_server_events_dropped 10$/m);

      await proxy.start();
      await eventually('the buffer to write its kept events', () => buffer.depth === 0, {
        timeoutMs: 15_000,
      });
      const rows = await api.query<{ action: string; n: number }>(
        `SELECT action, count(*)::int AS n FROM user_activities
          WHERE action IN ('outage.event', 'system.outage_probe') GROUP BY action`,
      );
      expect(rows).toEqual([{ action: 'system.outage_probe', n: 25 }]);
      expect((await send(20)).status).toBe(202);
    } finally {
      await api.close();
      await proxy.stop();
      await database.drop();
    }
  }, 40_000);

  it("writes the server's queued events at shutdown before the pool closes", async () => {
    const database = await createTestDatabase();
    const api = await startTestApp({
      databaseUrl: database.url,
      env: { ACTIVITY_FLUSH_MS: '1000', ACTIVITY_FLUSH_SIZE: '10000' },
    });
    try {
      const buffer = api.app.get(ActivityBuffer);
      buffer.enqueue(Array.from({ length: 300 }, () => serverRow('system.shutdown_probe')));
      expect(buffer.depth).toBe(300);
      await api.app.close();
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      const { rows } = await client.query(
        `SELECT count(*)::int AS n FROM user_activities WHERE action = 'system.shutdown_probe'`,
      );
      await client.end();
      expect(rows[0].n).toBe(300);
    } finally {
      await database.drop();
    }
  });
});
