import { Injectable } from '@nestjs/common';
import { WorkspaceMemberships } from '../subscriptions/workspace-memberships.js';
import { WorkspacesRepository } from './workspaces.repository.js';

/**
 * The memberships the subscriptions module reads (a user's effective plan, a workspace's
 * members to drop cached plans of): straight from the repository, so it depends on nothing
 * that depends on subscriptions.
 */
@Injectable()
export class WorkspaceMembershipsLookup extends WorkspaceMemberships {
  constructor(private readonly workspaces: WorkspacesRepository) {
    super();
  }

  workspaceIdsOf(userId: string): Promise<string[]> {
    return this.workspaces.workspaceIdsOf(userId);
  }

  memberIds(workspaceId: string): Promise<string[]> {
    return this.workspaces.memberIds(workspaceId);
  }
}
