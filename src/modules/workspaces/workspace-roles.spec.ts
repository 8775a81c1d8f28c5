import { describe, expect, it } from '@jest/globals';
import {
  hasRole,
  invitationState,
  LAST_OWNER,
  removalRefusal,
  roleChangeRefusal,
  type WorkspaceRole,
} from './workspace-roles.js';

const change = (
  actorRole: WorkspaceRole,
  targetRole: WorkspaceRole,
  options: { self?: boolean; owners?: number } = {},
) => ({
  actorId: 'actor',
  actorRole,
  targetId: options.self ? 'actor' : 'target',
  targetRole,
  owners: options.owners ?? 1,
});

describe('workspace roles', () => {
  it('ranks owner over admin over member', () => {
    expect(hasRole('owner', 'admin')).toBe(true);
    expect(hasRole('admin', 'admin')).toBe(true);
    expect(hasRole('admin', 'owner')).toBe(false);
    expect(hasRole('member', 'admin')).toBe(false);
    expect(hasRole('member', 'member')).toBe(true);
  });

  describe(roleChangeRefusal.name, () => {
    it('lets owners change any role, and make owners', () => {
      expect(roleChangeRefusal({ ...change('owner', 'member'), to: 'owner' })).toBeNull();
      expect(
        roleChangeRefusal({ ...change('owner', 'owner', { owners: 2 }), to: 'admin' }),
      ).toBeNull();
      expect(roleChangeRefusal({ ...change('owner', 'admin'), to: 'member' })).toBeNull();
    });

    it('lets admins move members and admins between member and admin, themselves included', () => {
      expect(roleChangeRefusal({ ...change('admin', 'member'), to: 'admin' })).toBeNull();
      expect(roleChangeRefusal({ ...change('admin', 'admin'), to: 'member' })).toBeNull();
      expect(
        roleChangeRefusal({ ...change('admin', 'admin', { self: true }), to: 'member' }),
      ).toBeNull();
    });

    it('refuses admins anything about owners, and members everything (403)', () => {
      expect(roleChangeRefusal({ ...change('admin', 'member'), to: 'owner' })).toMatchObject({
        status: 403,
      });
      expect(
        roleChangeRefusal({ ...change('admin', 'owner', { owners: 2 }), to: 'admin' }),
      ).toMatchObject({
        status: 403,
      });
      expect(roleChangeRefusal({ ...change('member', 'member'), to: 'admin' })).toMatchObject({
        status: 403,
      });
      expect(
        roleChangeRefusal({ ...change('member', 'member', { self: true }), to: 'admin' }),
      ).toMatchObject({ status: 403 });
    });

    it('never demotes the last owner (409), but lets them stay owner', () => {
      expect(
        roleChangeRefusal({ ...change('owner', 'owner', { self: true }), to: 'admin' }),
      ).toEqual({
        status: 409,
        message: LAST_OWNER,
      });
      expect(
        roleChangeRefusal({ ...change('owner', 'owner', { self: true }), to: 'owner' }),
      ).toBeNull();
    });
  });

  describe(removalRefusal.name, () => {
    it('lets anyone leave but the last owner', () => {
      expect(removalRefusal(change('member', 'member', { self: true }))).toBeNull();
      expect(removalRefusal(change('admin', 'admin', { self: true }))).toBeNull();
      expect(removalRefusal(change('owner', 'owner', { self: true, owners: 2 }))).toBeNull();
      expect(removalRefusal(change('owner', 'owner', { self: true }))).toEqual({
        status: 409,
        message: LAST_OWNER,
      });
    });

    it('lets owners remove anyone, admins members and admins, members no one', () => {
      expect(removalRefusal(change('owner', 'owner', { owners: 2 }))).toBeNull();
      expect(removalRefusal(change('owner', 'admin'))).toBeNull();
      expect(removalRefusal(change('admin', 'admin'))).toBeNull();
      expect(removalRefusal(change('admin', 'member'))).toBeNull();
      expect(removalRefusal(change('admin', 'owner', { owners: 2 }))).toMatchObject({
        status: 403,
      });
      expect(removalRefusal(change('member', 'member'))).toMatchObject({ status: 403 });
    });
  });

  describe(invitationState.name, () => {
    const now = new Date('2025-06-01T12:00:00Z');
    const at = (offsetMs: number) => new Date(now.getTime() + offsetMs);

    it('is pending until it expires, then expired', () => {
      const open = { acceptedAt: null, revokedAt: null };
      expect(invitationState({ ...open, expiresAt: at(1) }, now)).toBe('pending');
      expect(invitationState({ ...open, expiresAt: at(0) }, now)).toBe('expired');
      expect(invitationState({ ...open, expiresAt: at(-1) }, now)).toBe('expired');
    });

    it('says accepted or revoked whatever the expiry', () => {
      expect(invitationState({ acceptedAt: at(-5), revokedAt: null, expiresAt: at(5) }, now)).toBe(
        'accepted',
      );
      expect(invitationState({ acceptedAt: null, revokedAt: at(-5), expiresAt: at(-1) }, now)).toBe(
        'revoked',
      );
    });
  });
});
