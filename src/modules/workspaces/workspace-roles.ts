/** A member's role: owners manage everything, admins manage members and invitations. */
export type WorkspaceRole = 'owner' | 'admin' | 'member';
export const WORKSPACE_ROLES: readonly WorkspaceRole[] = ['owner', 'admin', 'member'];

/**
 * Invitations grant admin or member, never owner: ownership (deleting the workspace, its
 * billing) is handed by an owner to someone who has already joined, so a misdirected or
 * forwarded mail cannot give it away.
 */
export type InvitableRole = Exclude<WorkspaceRole, 'owner'>;
export const INVITABLE_ROLES: readonly InvitableRole[] = ['admin', 'member'];

const RANK: Record<WorkspaceRole, number> = { member: 0, admin: 1, owner: 2 };

/** Whether `role` is `minimum` or above it. */
export function hasRole(role: WorkspaceRole, minimum: WorkspaceRole): boolean {
  return RANK[role] >= RANK[minimum];
}

/** Why a membership change is refused: 403 (the caller's role) or 409 (the last owner). */
export type MembershipRefusal = { status: 403; message: string } | { status: 409; message: string };

export const LAST_OWNER =
  'A workspace must keep an owner: make another member an owner first (or delete the workspace)';

interface Change {
  actorId: string;
  actorRole: WorkspaceRole;
  targetId: string;
  targetRole: WorkspaceRole;
  /** Owners of the workspace, the target included when they are one. */
  owners: number;
}

/**
 * A role change. Owners change anyone's role (their own too); admins move members and admins
 * between member and admin (themselves included) but neither touch an owner nor make one;
 * members change nothing. The last owner is never demoted.
 */
export function roleChangeRefusal(
  change: Change & { to: WorkspaceRole },
): MembershipRefusal | null {
  if (change.actorRole === 'member')
    return { status: 403, message: 'Only owners and admins change roles' };
  if (change.actorRole === 'admin' && (change.targetRole === 'owner' || change.to === 'owner'))
    return { status: 403, message: 'Only owners make or change owners' };
  if (change.targetRole === 'owner' && change.to !== 'owner' && change.owners <= 1)
    return { status: 409, message: LAST_OWNER };
  return null;
}

/**
 * A removal. Anyone may leave; owners remove anyone; admins remove members and admins but not
 * owners; members remove no one else. The last owner can neither leave nor be removed.
 */
export function removalRefusal(change: Change): MembershipRefusal | null {
  const leaving = change.actorId === change.targetId;
  if (!leaving) {
    if (change.actorRole === 'member')
      return { status: 403, message: 'Only owners and admins remove members' };
    if (change.actorRole === 'admin' && change.targetRole === 'owner')
      return { status: 403, message: 'Only owners remove owners' };
  }
  if (change.targetRole === 'owner' && change.owners <= 1)
    return { status: 409, message: LAST_OWNER };
  return null;
}

/** Where an invitation stands at `now`. */
export type InvitationState = 'pending' | 'expired' | 'accepted' | 'revoked';

export function invitationState(
  invitation: { acceptedAt: Date | null; revokedAt: Date | null; expiresAt: Date },
  now: Date,
): InvitationState {
  if (invitation.acceptedAt) return 'accepted';
  if (invitation.revokedAt) return 'revoked';
  return invitation.expiresAt.getTime() <= now.getTime() ? 'expired' : 'pending';
}
