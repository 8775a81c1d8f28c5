import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { randomUUID } from 'node:crypto';
import { DomainEvents, type DomainEvent } from '../../src/common/events/domain-events.js';
import {
  registerUser,
  registerVerifiedUser,
  uniqueEmail,
  type RegisteredUser,
} from '../factories/users.factory.js';
import { eventually } from '../support/eventually.js';
import { ManualClock } from '../support/manual-clock.js';
import { TestSmtpServer } from '../support/smtp.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { WorkspaceFactory } from '../factories/workspaces.factory.js';

const INVITED = /You are invited to join/;
const DAY_MS = 86_400_000;

interface Member {
  userId: string;
  email: string;
  name: string;
  role: string;
  joinedAt: string;
}
interface Invitation {
  id: string;
  email: string;
  role: string;
  status: string;
}

describe('workspaces', () => {
  let api: TestApp;
  const smtp = new TestSmtpServer();
  const clock = new ManualClock();
  const membershipChanges: { userId: string | null; workspaceId: string }[] = [];
  const deleting: string[] = [];
  /** Workspaces whose WorkspaceDeleting listener fails (a billing cancellation that fails). */
  const refuseDeletion = new Set<string>();

  beforeAll(async () => {
    await smtp.start();
    api = await startTestApp({ clock, env: smtp.env });
    const emitter = api.app.get(EventEmitter2);
    emitter.on(
      DomainEvents.WorkspaceMembershipChanged,
      (event: DomainEvent<typeof DomainEvents.WorkspaceMembershipChanged>) => {
        membershipChanges.push({ userId: event.userId, workspaceId: event.metadata.workspaceId });
      },
    );
    emitter.on(
      DomainEvents.WorkspaceDeleting,
      async (event: DomainEvent<typeof DomainEvents.WorkspaceDeleting>) => {
        deleting.push(event.metadata.workspaceId);
        if (refuseDeletion.has(event.metadata.workspaceId))
          throw new Error('Stripe is down (test)');
      },
    );
  });
  afterAll(async () => {
    await api.close();
    await smtp.stop();
  });

  const workspaces = () => new WorkspaceFactory(api, smtp);
  const call = (method: string, path: string, user: RegisteredUser, body?: object) =>
    workspaces().call(method, path, user, body);
  const ws = (id: string, rest = '') => `/api/v1/workspaces/${id}${rest}`;
  const createWorkspace = (owner: RegisteredUser, name?: string) =>
    workspaces().create(owner, name);
  const invite = (workspaceId: string, by: RegisteredUser, email: string, role?: string) =>
    workspaces().invite(workspaceId, by, email, role);
  const accept = (user: RegisteredUser, token: string) => workspaces().accept(user, token);
  const member = (
    workspaceId: string,
    owner: RegisteredUser,
    role?: 'admin' | 'member' | 'owner',
  ) => workspaces().member(workspaceId, owner, role);

  const seatsVersion = async (workspaceId: string) =>
    Number(
      (
        await api.query<{ v: string }>(`SELECT seats_version AS v FROM workspaces WHERE id = $1`, [
          workspaceId,
        ])
      )[0]?.v,
    );
  const memberRows = (workspaceId: string) =>
    api.query<{ user_id: string; role: string }>(
      `SELECT user_id, role FROM workspace_members WHERE workspace_id = $1 ORDER BY joined_at`,
      [workspaceId],
    );
  const roleOf = async (workspaceId: string, userId: string) =>
    (await memberRows(workspaceId)).find((row) => row.user_id === userId)?.role;

  describe('workspaces', () => {
    it('creates a workspace whose owner is the caller, in one step, and lists it with the role', async () => {
      const owner = await registerUser(api);
      const created = await createWorkspace(owner, '  Finance team  ');
      expect(created).toMatchObject({ name: 'Finance team', role: 'owner', memberCount: 1 });
      expect(await memberRows(created.id)).toEqual([{ user_id: owner.id, role: 'owner' }]);
      expect(await seatsVersion(created.id)).toBe(1);
      expect(membershipChanges).toContainEqual({ userId: owner.id, workspaceId: created.id });

      const list = await call('GET', '/api/v1/workspaces', owner);
      expect(list.status).toBe(200);
      expect(await list.json()).toMatchObject({
        items: [{ id: created.id, name: 'Finance team', role: 'owner', memberCount: 1 }],
        total: 1,
        page: 1,
        limit: 50,
      });
      const read = await call('GET', ws(created.id), owner);
      expect(read.status).toBe(200);
      expect(await read.json()).toMatchObject({ id: created.id, role: 'owner' });
    });

    it('pages the list of workspaces', async () => {
      const owner = await registerUser(api);
      for (const name of ['Charlie', 'alpha', 'Bravo']) await createWorkspace(owner, name);
      const page = await call('GET', '/api/v1/workspaces?page=2&limit=2', owner);
      expect(await page.json()).toMatchObject({ items: [{ name: 'Charlie' }], total: 3 });
      expect((await call('GET', '/api/v1/workspaces?limit=101', owner)).status).toBe(400);
    });

    it('refuses names that are empty, too long or not one line, and unknown fields', async () => {
      const owner = await registerUser(api);
      for (const body of [
        { name: '   ' },
        { name: 'x'.repeat(101) },
        { name: 'two\nlines' },
        { name: 'ok', plan: 'business' },
      ])
        expect((await call('POST', '/api/v1/workspaces', owner, body)).status).toBe(400);
    });

    it('answers 404 to a non-member on every workspace route, and 400 to a malformed id', async () => {
      const owner = await registerVerifiedUser(api);
      const outsider = await registerVerifiedUser(api);
      const workspace = await createWorkspace(owner);
      const token = await invite(workspace.id, owner, uniqueEmail());
      expect(token).toBeTruthy();
      const [invitation] = (await (
        await call('GET', ws(workspace.id, '/invitations'), owner)
      ).json()) as Invitation[];
      const attempts: [string, string, object?][] = [
        ['GET', ws(workspace.id)],
        ['PATCH', ws(workspace.id), { name: 'Mine now' }],
        ['DELETE', ws(workspace.id)],
        ['GET', ws(workspace.id, '/members')],
        ['PATCH', ws(workspace.id, `/members/${owner.id}`), { role: 'member' }],
        ['DELETE', ws(workspace.id, `/members/${owner.id}`)],
        ['POST', ws(workspace.id, '/invitations'), { email: uniqueEmail(), role: 'member' }],
        ['GET', ws(workspace.id, '/invitations')],
        ['DELETE', ws(workspace.id, `/invitations/${invitation.id}`)],
      ];
      for (const [method, path, body] of attempts) {
        const response = await call(method, path, outsider, body);
        expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
      }
      // A workspace that does not exist gets the same answer.
      expect((await call('GET', ws(randomUUID()), outsider)).status).toBe(404);
      expect((await call('GET', ws('not-a-uuid'), owner)).status).toBe(400);
      expect((await call('GET', ws(workspace.id, '/members'), owner)).status).toBe(200);
      expect(await seatsVersion(workspace.id)).toBe(1);
      expect(await roleOf(workspace.id, owner.id)).toBe('owner');
    });

    it('lets members read, owners and admins rename, and only owners delete', async () => {
      const owner = await registerVerifiedUser(api);
      const workspace = await createWorkspace(owner);
      const admin = await member(workspace.id, owner, 'admin');
      const plain = await member(workspace.id, owner, 'member');

      const read = await call('GET', ws(workspace.id), plain);
      expect(read.status).toBe(200);
      expect(await read.json()).toMatchObject({ role: 'member', memberCount: 3 });
      expect((await call('PATCH', ws(workspace.id), plain, { name: 'Nope' })).status).toBe(403);
      const renamed = await call('PATCH', ws(workspace.id), admin, { name: 'Renamed' });
      expect(renamed.status).toBe(200);
      expect(await renamed.json()).toMatchObject({ name: 'Renamed', role: 'admin' });
      expect((await call('DELETE', ws(workspace.id), admin)).status).toBe(403);
      expect((await call('DELETE', ws(workspace.id), plain)).status).toBe(403);

      const members = (await (
        await call('GET', ws(workspace.id, '/members'), plain)
      ).json()) as Member[];
      expect(members.map(({ userId, email, role }) => ({ userId, email, role }))).toEqual([
        { userId: owner.id, email: owner.email, role: 'owner' },
        { userId: admin.id, email: admin.email, role: 'admin' },
        { userId: plain.id, email: plain.email, role: 'member' },
      ]);
      expect(members[0]).toMatchObject({ name: 'Test User', joinedAt: expect.any(String) });
    });

    it('deletes a workspace for its owner after WorkspaceDeleting, ending every membership', async () => {
      const owner = await registerVerifiedUser(api);
      const workspace = await createWorkspace(owner);
      const plain = await member(workspace.id, owner);
      await invite(workspace.id, owner, uniqueEmail());

      expect((await call('DELETE', ws(workspace.id), owner)).status).toBe(204);
      expect(deleting).toContain(workspace.id);
      expect((await call('GET', ws(workspace.id), owner)).status).toBe(404);
      expect((await call('GET', ws(workspace.id), plain)).status).toBe(404);
      const left = await api.query(
        `SELECT 1 FROM workspace_members WHERE workspace_id = $1
         UNION ALL SELECT 1 FROM workspace_invitations WHERE workspace_id = $1`,
        [workspace.id],
      );
      expect(left).toEqual([]);
      const ended = membershipChanges.filter((change) => change.workspaceId === workspace.id);
      // Each began once (creation, acceptance) and ended once (the deletion).
      expect(ended.filter((change) => change.userId === owner.id)).toHaveLength(2);
      expect(ended.filter((change) => change.userId === plain.id)).toHaveLength(2);
    });

    it('keeps the workspace when a WorkspaceDeleting listener fails', async () => {
      const owner = await registerUser(api);
      const workspace = await createWorkspace(owner);
      refuseDeletion.add(workspace.id);
      const response = await call('DELETE', ws(workspace.id), owner);
      expect(response.status).toBe(500);
      expect((await call('GET', ws(workspace.id), owner)).status).toBe(200);
      refuseDeletion.delete(workspace.id);
      expect((await call('DELETE', ws(workspace.id), owner)).status).toBe(204);
    });
  });

  describe('members and roles', () => {
    it('lets admins move members and admins between member and admin, but not touch owners', async () => {
      const owner = await registerVerifiedUser(api);
      const workspace = await createWorkspace(owner);
      const admin = await member(workspace.id, owner, 'admin');
      const plain = await member(workspace.id, owner, 'member');
      const path = (user: RegisteredUser) => ws(workspace.id, `/members/${user.id}`);

      const promoted = await call('PATCH', path(plain), admin, { role: 'admin' });
      expect(promoted.status).toBe(200);
      expect(await promoted.json()).toMatchObject({ userId: plain.id, role: 'admin' });
      expect((await call('PATCH', path(plain), admin, { role: 'member' })).status).toBe(200);
      expect((await call('PATCH', path(plain), admin, { role: 'owner' })).status).toBe(403);
      expect((await call('PATCH', path(owner), admin, { role: 'member' })).status).toBe(403);
      expect((await call('PATCH', path(admin), plain, { role: 'member' })).status).toBe(403);
      expect((await call('PATCH', path(plain), plain, { role: 'admin' })).status).toBe(403);
      expect((await call('PATCH', path(plain), owner, { role: 'superuser' })).status).toBe(400);
      expect(
        (
          await call('PATCH', ws(workspace.id, `/members/${randomUUID()}`), owner, {
            role: 'admin',
          })
        ).status,
      ).toBe(404);
      expect(await roleOf(workspace.id, plain.id)).toBe('member');
      expect(await roleOf(workspace.id, owner.id)).toBe('owner');
    });

    it('never leaves a workspace without an owner', async () => {
      const owner = await registerVerifiedUser(api);
      const workspace = await createWorkspace(owner);
      const other = await member(workspace.id, owner, 'admin');
      const ownerPath = ws(workspace.id, `/members/${owner.id}`);

      const demote = await call('PATCH', ownerPath, owner, { role: 'admin' });
      expect(demote.status).toBe(409);
      expect(((await demote.json()) as { message: string }).message).toMatch(/keep an owner/);
      expect((await call('DELETE', ownerPath, owner)).status).toBe(409);
      expect(await roleOf(workspace.id, owner.id)).toBe('owner');

      // With a second owner, the first may step down and leave.
      expect(
        (await call('PATCH', ws(workspace.id, `/members/${other.id}`), owner, { role: 'owner' }))
          .status,
      ).toBe(200);
      expect((await call('PATCH', ownerPath, owner, { role: 'member' })).status).toBe(200);
      expect((await call('DELETE', ownerPath, owner)).status).toBe(204);
      expect(await memberRows(workspace.id)).toEqual([{ user_id: other.id, role: 'owner' }]);
      expect((await call('DELETE', ws(workspace.id, `/members/${other.id}`), other)).status).toBe(
        409,
      );
    });

    it('holds the last-owner rule when two owners step down at once', async () => {
      const owner = await registerVerifiedUser(api);
      const workspace = await createWorkspace(owner);
      const second = await member(workspace.id, owner, 'owner');
      const statuses = await Promise.all(
        [owner, second].map(
          async (user) =>
            (await call('DELETE', ws(workspace.id, `/members/${user.id}`), user)).status,
        ),
      );
      expect([...statuses].sort()).toEqual([204, 409]);
      const rows = await memberRows(workspace.id);
      expect(rows).toHaveLength(1);
      expect(rows[0].role).toBe('owner');
    });

    it('removes members (admins not owners), lets anyone leave, and ends access at once', async () => {
      const owner = await registerVerifiedUser(api);
      const workspace = await createWorkspace(owner);
      const admin = await member(workspace.id, owner, 'admin');
      const first = await member(workspace.id, owner);
      const second = await member(workspace.id, owner);
      const path = (user: RegisteredUser) => ws(workspace.id, `/members/${user.id}`);
      const version = await seatsVersion(workspace.id);

      expect((await call('DELETE', path(second), first)).status).toBe(403);
      expect((await call('DELETE', path(owner), admin)).status).toBe(403);
      expect((await call('DELETE', path(first), admin)).status).toBe(204);
      expect((await call('GET', ws(workspace.id), first)).status).toBe(404);
      expect((await call('DELETE', path(first), admin)).status).toBe(404);
      expect((await call('DELETE', path(second), second)).status).toBe(204);
      expect((await call('DELETE', path(admin), owner)).status).toBe(204);

      expect(await memberRows(workspace.id)).toEqual([{ user_id: owner.id, role: 'owner' }]);
      expect(await seatsVersion(workspace.id)).toBe(version + 3);
      for (const user of [first, second, admin])
        expect(membershipChanges.filter((c) => c.userId === user.id)).toHaveLength(2);
    });
  });

  describe('invitations', () => {
    it('mails a single-use token, stored only as a hash, that adds the invitee with its role', async () => {
      const owner = await registerVerifiedUser(api);
      const workspace = await createWorkspace(owner, 'Analysts');
      const invitee = await registerVerifiedUser(api);
      const token = await invite(workspace.id, owner, invitee.email.toUpperCase(), 'admin');
      const mail = smtp
        .mailsTo(invitee.email)
        .filter((m) => INVITED.test(m.subject))
        .at(-1)!;
      expect(mail.subject).toBe('You are invited to join Analysts on InsightSheet');
      expect(mail.text).toContain(
        `https://app.insightsheet.test/invitations/accept?token=${token}`,
      );

      const [row] = await api.query<{ email: string; token_hash: Buffer }>(
        `SELECT email, token_hash FROM workspace_invitations WHERE workspace_id = $1`,
        [workspace.id],
      );
      expect(row.email).toBe(invitee.email);
      expect(row.token_hash.length).toBe(32);
      expect(row.token_hash.toString('latin1')).not.toContain(token);
      expect(row.token_hash.toString('base64url')).not.toBe(token);

      const listed = await call('GET', ws(workspace.id, '/invitations'), owner);
      expect(listed.status).toBe(200);
      const invitations = (await listed.json()) as Record<string, unknown>[];
      expect(invitations).toEqual([
        expect.objectContaining({ email: invitee.email, role: 'admin', status: 'pending' }),
      ]);
      expect(JSON.stringify(invitations)).not.toContain(token);
      expect(Object.keys(invitations[0])).not.toEqual(
        expect.arrayContaining([expect.stringMatching(/token|hash/i)]),
      );

      const version = await seatsVersion(workspace.id);
      const accepted = await accept(invitee, token);
      expect(accepted.status).toBe(200);
      expect(await accepted.json()).toMatchObject({
        workspace: { id: workspace.id, name: 'Analysts' },
        userId: invitee.id,
        role: 'admin',
        joinedAt: expect.any(String),
      });
      expect(await roleOf(workspace.id, invitee.id)).toBe('admin');
      expect(await seatsVersion(workspace.id)).toBe(version + 1);
      expect(membershipChanges).toContainEqual({ userId: invitee.id, workspaceId: workspace.id });
      expect((await accept(invitee, token)).status).toBe(400);
      expect(await (await call('GET', ws(workspace.id, '/invitations'), owner)).json()).toEqual([]);
    });

    it('refuses owner invitations, members who invite, and inviting a member', async () => {
      const owner = await registerVerifiedUser(api);
      const workspace = await createWorkspace(owner);
      const plain = await member(workspace.id, owner);
      const path = ws(workspace.id, '/invitations');
      expect(
        (await call('POST', path, owner, { email: uniqueEmail(), role: 'owner' })).status,
      ).toBe(400);
      expect(
        (await call('POST', path, owner, { email: 'not an email', role: 'member' })).status,
      ).toBe(400);
      expect(
        (await call('POST', path, plain, { email: uniqueEmail(), role: 'member' })).status,
      ).toBe(403);
      expect((await call('GET', path, plain)).status).toBe(403);
      expect((await call('POST', path, owner, { email: plain.email, role: 'member' })).status).toBe(
        409,
      );
    });

    it('asks inviters and invitees for a verified address, and the invitee for the invited one', async () => {
      const unverifiedOwner = await registerUser(api);
      const own = await createWorkspace(unverifiedOwner);
      const refused = await call('POST', ws(own.id, '/invitations'), unverifiedOwner, {
        email: uniqueEmail(),
        role: 'member',
      });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: 'email_not_verified' });

      const owner = await registerVerifiedUser(api);
      const workspace = await createWorkspace(owner);
      const invitee = await registerUser(api);
      const token = await invite(workspace.id, owner, invitee.email);

      const unverified = await accept(invitee, token);
      expect(unverified.status).toBe(403);
      expect(await unverified.json()).toMatchObject({ error: 'email_not_verified' });

      const stranger = await registerVerifiedUser(api);
      const wrong = await accept(stranger, token);
      expect(wrong.status).toBe(403);
      expect(await wrong.json()).toMatchObject({
        error: 'invitation_email_mismatch',
        message: expect.stringMatching(/another email address/),
      });
      expect(await memberRows(workspace.id)).toHaveLength(1);

      await api.query(`UPDATE users SET email_verified_at = now() WHERE id = $1`, [invitee.id]);
      expect((await accept(invitee, token)).status).toBe(200);
    });

    it('sends again with a new token at most once a minute, and the old token stops working', async () => {
      const owner = await registerVerifiedUser(api);
      const workspace = await createWorkspace(owner);
      const invitee = await registerVerifiedUser(api);
      const first = await invite(workspace.id, owner, invitee.email);
      const tooSoon = await call('POST', ws(workspace.id, '/invitations'), owner, {
        email: invitee.email,
        role: 'admin',
      });
      expect(tooSoon.status).toBe(429);
      expect(Number(tooSoon.headers.get('retry-after'))).toBeGreaterThan(0);

      clock.advance(61_000);
      const second = await invite(workspace.id, owner, invitee.email, 'admin');
      expect(second).not.toBe(first);
      const rows = await api.query(`SELECT id FROM workspace_invitations WHERE workspace_id = $1`, [
        workspace.id,
      ]);
      expect(rows).toHaveLength(1);
      expect((await accept(invitee, first)).status).toBe(400);
      const accepted = await accept(invitee, second);
      expect(accepted.status).toBe(200);
      expect(await accepted.json()).toMatchObject({ role: 'admin' });
    });

    it('expires after 7 days, says so in the list, and can be sent again', async () => {
      const owner = await registerVerifiedUser(api);
      const workspace = await createWorkspace(owner);
      const invitee = await registerVerifiedUser(api);
      const token = await invite(workspace.id, owner, invitee.email);
      clock.advance(7 * DAY_MS + 1000);
      const expired = await accept(invitee, token);
      expect(expired.status).toBe(400);
      expect(await expired.json()).toMatchObject({
        message: 'The invitation is invalid or has expired',
      });
      expect(await (await call('GET', ws(workspace.id, '/invitations'), owner)).json()).toEqual([
        expect.objectContaining({ email: invitee.email, status: 'expired' }),
      ]);
      const renewed = await invite(workspace.id, owner, invitee.email);
      expect((await accept(invitee, renewed)).status).toBe(200);
    });

    it('revokes an open invitation: its token stops working', async () => {
      const owner = await registerVerifiedUser(api);
      const workspace = await createWorkspace(owner);
      const admin = await member(workspace.id, owner, 'admin');
      const plain = await member(workspace.id, owner);
      const invitee = await registerVerifiedUser(api);
      const token = await invite(workspace.id, owner, invitee.email);
      const [invitation] = (await (
        await call('GET', ws(workspace.id, '/invitations'), owner)
      ).json()) as Invitation[];
      const path = ws(workspace.id, `/invitations/${invitation.id}`);

      expect((await call('DELETE', path, plain)).status).toBe(403);
      expect((await call('DELETE', path, admin)).status).toBe(204);
      expect((await call('DELETE', path, admin)).status).toBe(404);
      const revoked = await accept(invitee, token);
      expect(revoked.status).toBe(400);
      expect(await revoked.json()).toMatchObject({
        message: 'The invitation is invalid or has expired',
      });
      expect((await accept(invitee, 'made-up-token')).status).toBe(400);
      expect(await roleOf(workspace.id, invitee.id)).toBeUndefined();
    });

    it('makes one membership of the same token accepted many times at once', async () => {
      const owner = await registerVerifiedUser(api);
      const workspace = await createWorkspace(owner);
      const invitee = await registerVerifiedUser(api);
      const token = await invite(workspace.id, owner, invitee.email);
      const version = await seatsVersion(workspace.id);

      const statuses = await Promise.all(
        Array.from({ length: 8 }, async () => (await accept(invitee, token)).status),
      );
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(statuses.filter((status) => status === 400)).toHaveLength(7);
      expect(await memberRows(workspace.id)).toHaveLength(2);
      expect(await seatsVersion(workspace.id)).toBe(version + 1);
      expect(
        membershipChanges.filter((c) => c.userId === invitee.id && c.workspaceId === workspace.id),
      ).toHaveLength(1);
    });
  });

  it("lists the user's workspaces and roles in their data export", async () => {
    const owner = await registerVerifiedUser(api);
    const workspace = await createWorkspace(owner, 'Exported team');
    const admin = await member(workspace.id, owner, 'admin');
    const response = await call('GET', '/api/v1/users/me/export', admin);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { workspaces: unknown[] };
    expect(body.workspaces).toEqual([
      {
        workspaceId: workspace.id,
        name: 'Exported team',
        role: 'admin',
        joinedAt: expect.any(String),
      },
    ]);
  });

  it('records workspace activity as server events', async () => {
    const owner = await registerVerifiedUser(api);
    const workspace = await createWorkspace(owner);
    const invitee = await registerVerifiedUser(api);
    const token = await invite(workspace.id, owner, invitee.email);
    expect((await accept(invitee, token)).status).toBe(200);
    const memberPath = ws(workspace.id, `/members/${invitee.id}`);
    expect((await call('PATCH', ws(workspace.id), owner, { name: 'Renamed' })).status).toBe(200);
    expect((await call('PATCH', memberPath, owner, { role: 'admin' })).status).toBe(200);
    expect((await call('DELETE', memberPath, owner)).status).toBe(204);
    await invite(workspace.id, owner, uniqueEmail());
    const [open] = (await (
      await call('GET', ws(workspace.id, '/invitations'), owner)
    ).json()) as Invitation[];
    expect((await call('DELETE', ws(workspace.id, `/invitations/${open.id}`), owner)).status).toBe(
      204,
    );
    expect((await call('DELETE', ws(workspace.id), owner)).status).toBe(204);

    const expected = [
      [owner.id, 'workspace.created'],
      [owner.id, 'workspace.invitation_sent'],
      [invitee.id, 'workspace.invitation_accepted'],
      [invitee.id, 'workspace.member_added'],
      [owner.id, 'workspace.renamed'],
      [owner.id, 'workspace.member_role_changed'],
      [owner.id, 'workspace.member_removed'],
      [owner.id, 'workspace.invitation_revoked'],
      [owner.id, 'workspace.deleted'],
    ];
    const rows = await eventually('the workspace activity', async () => {
      const found = await api.query<{
        user_id: string;
        action: string;
        source: string;
        metadata: Record<string, unknown>;
      }>(
        `SELECT user_id, action, source, metadata FROM user_activities
          WHERE user_id = ANY($1) AND action LIKE 'workspace.%'`,
        [[owner.id, invitee.id]],
      );
      return found.length >= expected.length + 1 ? found : undefined;
    });
    for (const [userId, action] of expected)
      expect(rows).toContainEqual(
        expect.objectContaining({ user_id: userId, action, source: 'server' }),
      );
    expect(rows.every((row) => row.metadata.workspaceId === workspace.id)).toBe(true);
    expect(rows).toContainEqual(
      expect.objectContaining({
        action: 'workspace.member_role_changed',
        metadata: { workspaceId: workspace.id, memberId: invitee.id, from: 'member', to: 'admin' },
      }),
    );
    expect(rows.filter((row) => row.action === 'workspace.invitation_sent')).toHaveLength(2);
    expect(rows.some((row) => row.action.startsWith('workspace.membership'))).toBe(false);
  });

  describe('erasure of a member', () => {
    const erase = (user: RegisteredUser) =>
      call('DELETE', '/api/v1/users/me', user, { password: user.password });

    it('deletes the workspaces the user is alone in, and leaves the others', async () => {
      const user = await registerVerifiedUser(api);
      const alone = await createWorkspace(user, 'Alone');
      const owner = await registerVerifiedUser(api);
      const shared = await createWorkspace(owner, 'Shared');
      await member(shared.id, owner, 'admin');
      const token = await invite(shared.id, owner, user.email);
      expect((await accept(user, token)).status).toBe(200);
      const version = await seatsVersion(shared.id);

      expect((await erase(user)).status).toBe(204);
      expect(await api.query(`SELECT 1 FROM workspaces WHERE id = $1`, [alone.id])).toEqual([]);
      expect(deleting).toContain(alone.id);
      expect(await memberRows(shared.id)).toHaveLength(2);
      expect(await roleOf(shared.id, user.id)).toBeUndefined();
      expect(await seatsVersion(shared.id)).toBe(version + 1);
      expect(membershipChanges.filter((c) => c.userId === user.id)).toHaveLength(4);
    });

    it('is refused (409) while the user is the only owner of a workspace with other members', async () => {
      const owner = await registerVerifiedUser(api);
      const workspace = await createWorkspace(owner);
      const other = await member(workspace.id, owner);

      const refused = await erase(owner);
      expect(refused.status).toBe(409);
      expect(((await refused.json()) as { message: string }).message).toMatch(/only owner/);
      expect(await api.query(`SELECT 1 FROM users WHERE id = $1`, [owner.id])).toHaveLength(1);
      expect(await roleOf(workspace.id, owner.id)).toBe('owner');
      expect(deleting).not.toContain(workspace.id);

      expect(
        (await call('PATCH', ws(workspace.id, `/members/${other.id}`), owner, { role: 'owner' }))
          .status,
      ).toBe(200);
      expect((await erase(owner)).status).toBe(204);
      expect(await memberRows(workspace.id)).toEqual([{ user_id: other.id, role: 'owner' }]);
    });
  });
});
