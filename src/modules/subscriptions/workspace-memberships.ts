/**
 * What the subscriptions module needs to know of workspaces, provided by the workspaces
 * module (which owns the memberships): a user's effective plan includes their workspaces'
 * plans, and a change to a workspace's subscription drops its members' cached plans.
 */
export abstract class WorkspaceMemberships {
  /** The workspaces the user is a member of. */
  abstract workspaceIdsOf(userId: string): Promise<string[]>;
  /** The workspace's members. */
  abstract memberIds(workspaceId: string): Promise<string[]>;
}
