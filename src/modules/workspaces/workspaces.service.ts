import {
  ConflictException,
  ForbiddenException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainEvents, type RequestMeta } from '../../common/events/domain-events.js';
import { EventPublisher } from '../../common/events/event-publisher.service.js';
import { Clock } from '../../common/time/clock.js';
import { UsersService } from '../users/users.service.js';
import type {
  AdminWorkspaceListDto,
  AdminWorkspaceQueryDto,
  ExportedMembershipDto,
  MemberDto,
  WorkspaceDto,
  WorkspaceListDto,
  WorkspaceListQueryDto,
} from './dto/workspace.dto.js';
import { InvitationsRepository } from './invitations.repository.js';
import {
  hasRole,
  removalRefusal,
  roleChangeRefusal,
  type MembershipRefusal,
  type WorkspaceRole,
} from './workspace-roles.js';
import {
  WorkspacesRepository,
  type MemberRow,
  type WorkspaceRow,
} from './workspaces.repository.js';

const NOT_FOUND = 'Workspace not found';
/** Erasure refused: the user would leave members behind in a workspace without an owner. */
export const SOLE_OWNER =
  'You are the only owner of a workspace that has other members: make one of them an owner, ' +
  'or delete the workspace, before erasing your account';
const NO_REQUEST: RequestMeta = { ip: null, userAgent: null };

function refuse(refusal: MembershipRefusal): never {
  throw refusal.status === 403
    ? new ForbiddenException(refusal.message)
    : new ConflictException(refusal.message);
}

/**
 * Workspaces and their members. Every check of a caller's access reads their membership
 * from PostgreSQL (no cache), so a removal ends access at once on every instance. Changes to
 * who is a member lock the workspace's row first: they take turns, and `seats_version`
 * moves in the same transaction. Exported for Billing and Subscriptions: the read methods
 * below the routes' ones.
 */
@Injectable()
export class WorkspacesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly workspaces: WorkspacesRepository,
    private readonly users: UsersService,
    private readonly events: EventPublisher,
    private readonly invitations: InvitationsRepository,
    private readonly clock: Clock,
  ) {}

  /** The workspace and the caller's owner membership, in one transaction. */
  async create(userId: string, name: string, meta: RequestMeta): Promise<WorkspaceDto> {
    const workspace = await this.dataSource.transaction(async (manager) => {
      const row = await this.workspaces.create(manager, name);
      await this.workspaces.addMember(manager, row.id, userId, 'owner');
      return row;
    });
    this.events.publish(DomainEvents.WorkspaceCreated, userId, meta, {
      workspaceId: workspace.id,
    });
    await this.membershipsChanged(workspace.id, [userId]);
    return { ...workspace, role: 'owner', memberCount: 1 };
  }

  async list(userId: string, query: WorkspaceListQueryDto): Promise<WorkspaceListDto> {
    const { items, total } = await this.workspaces.listOf(userId, {
      offset: (query.page - 1) * query.limit,
      limit: query.limit,
    });
    return { items, total, page: query.page, limit: query.limit };
  }

  async get(workspaceId: string, userId: string): Promise<WorkspaceDto> {
    const role = await this.requireRole(workspaceId, userId, 'member');
    return this.view(await this.found(workspaceId), role);
  }

  async rename(
    workspaceId: string,
    userId: string,
    name: string,
    meta: RequestMeta,
  ): Promise<WorkspaceDto> {
    const role = await this.requireRole(workspaceId, userId, 'admin');
    const row = await this.workspaces.rename(workspaceId, name);
    if (!row) throw new NotFoundException(NOT_FOUND);
    this.events.publish(DomainEvents.WorkspaceRenamed, userId, meta, { workspaceId });
    return this.view(row, role);
  }

  /** By an owner; Billing cancels the workspace's subscription first (WorkspaceDeleting). */
  async delete(workspaceId: string, userId: string, meta: RequestMeta): Promise<void> {
    await this.requireRole(workspaceId, userId, 'owner');
    await this.deleteWorkspace(workspaceId, userId, meta, async (manager) => {
      // Demoted or removed while Billing was cancelling: the deletion is no longer theirs.
      const role = await this.workspaces.roleOf(workspaceId, userId, manager);
      if (!role) throw new NotFoundException(NOT_FOUND);
      if (role !== 'owner') throw new ForbiddenException('Only owners delete a workspace');
    });
  }

  async members(workspaceId: string, userId: string): Promise<MemberDto[]> {
    await this.requireRole(workspaceId, userId, 'member');
    return this.membersOf(workspaceId);
  }

  /** Every workspace, for an administrator: by name, a page at a time. */
  async listAll(query: AdminWorkspaceQueryDto): Promise<AdminWorkspaceListDto> {
    const { items, total } = await this.workspaces.listAll(query.search, {
      offset: (query.page - 1) * query.limit,
      limit: query.limit,
    });
    return { items, total, page: query.page, limit: query.limit };
  }

  /** Any workspace's members, for an administrator; 404 for an unknown workspace. */
  async membersForAdmin(workspaceId: string): Promise<MemberDto[]> {
    await this.found(workspaceId);
    return this.membersOf(workspaceId);
  }

  private async membersOf(workspaceId: string): Promise<MemberDto[]> {
    const members = await this.workspaces.members(workspaceId);
    const contacts = await this.users.contacts(members.map((member) => member.userId));
    return members.flatMap((member) => {
      const contact = contacts.get(member.userId);
      // A user erased since the list was read: their membership went with them.
      return contact ? [{ ...member, email: contact.email, name: contact.name }] : [];
    });
  }

  /** See roleChangeRefusal for who may make which change. */
  async changeRole(
    workspaceId: string,
    actorId: string,
    targetId: string,
    to: WorkspaceRole,
    meta: RequestMeta,
  ): Promise<MemberDto> {
    await this.requireRole(workspaceId, actorId, 'member');
    const from = await this.dataSource.transaction(async (manager) => {
      const { actorRole, targetRole, owners } = await this.lockForChange(
        manager,
        workspaceId,
        actorId,
        targetId,
      );
      const refusal = roleChangeRefusal({ actorId, actorRole, targetId, targetRole, owners, to });
      if (refusal) refuse(refusal);
      if (targetRole !== to) await this.workspaces.setRole(manager, workspaceId, targetId, to);
      if (!hasRole(to, 'admin'))
        await this.invitations.revokeSentBy(manager, workspaceId, targetId, this.clock.now());
      return targetRole;
    });
    if (from !== to) {
      this.events.publish(DomainEvents.WorkspaceMemberRoleChanged, actorId, meta, {
        workspaceId,
        memberId: targetId,
        from,
        to,
      });
    }
    const member = await this.workspaces.member(workspaceId, targetId);
    const contact = (await this.users.contacts([targetId])).get(targetId);
    if (!member || !contact) throw new NotFoundException('Member not found');
    return { ...member, ...contact };
  }

  /** Removal by an owner or admin, or leaving (actor and target the same). */
  async removeMember(
    workspaceId: string,
    actorId: string,
    targetId: string,
    meta: RequestMeta,
  ): Promise<void> {
    await this.requireRole(workspaceId, actorId, 'member');
    const role = await this.dataSource.transaction(async (manager) => {
      const { actorRole, targetRole, owners } = await this.lockForChange(
        manager,
        workspaceId,
        actorId,
        targetId,
      );
      const refusal = removalRefusal({ actorId, actorRole, targetId, targetRole, owners });
      if (refusal) refuse(refusal);
      await this.workspaces.removeMember(manager, workspaceId, targetId);
      await this.invitations.revokeSentBy(manager, workspaceId, targetId, this.clock.now());
      return targetRole;
    });
    this.events.publish(DomainEvents.WorkspaceMemberRemoved, actorId, meta, {
      workspaceId,
      memberId: targetId,
      role,
      left: actorId === targetId,
    });
    await this.membershipsChanged(workspaceId, [targetId]);
  }

  /**
   * The caller's role when it is `minimum` or above. A non-member gets the 404 of a
   * workspace that does not exist (no existence leak); a member below `minimum` a 403.
   * With `manager`, read in the caller's transaction (under the workspace's lock).
   */
  async requireRole(
    workspaceId: string,
    userId: string,
    minimum: WorkspaceRole,
    manager?: EntityManager,
  ): Promise<WorkspaceRole> {
    const role = await this.workspaces.roleOf(workspaceId, userId, manager);
    if (!role) throw new NotFoundException(NOT_FOUND);
    if (!hasRole(role, minimum))
      throw new ForbiddenException(
        minimum === 'owner'
          ? 'Only owners of the workspace may do this'
          : 'Only owners and admins of the workspace may do this',
      );
    return role;
  }

  /**
   * Joins `userId` in the caller's transaction, which holds the workspace's lock. False when
   * they already were a member (their role stays).
   */
  join(
    manager: EntityManager,
    workspaceId: string,
    userId: string,
    role: WorkspaceRole,
  ): Promise<boolean> {
    return this.workspaces.addMember(manager, workspaceId, userId, role);
  }

  membership(workspaceId: string, userId: string): Promise<MemberRow | null> {
    return this.workspaces.member(workspaceId, userId);
  }

  /** The workspace's row lock for the caller's transaction; null when it is gone. */
  lock(manager: EntityManager, workspaceId: string): Promise<WorkspaceRow | null> {
    return this.workspaces.lock(manager, workspaceId);
  }

  /**
   * After the commit of memberships that began or ended: each member's copies of their
   * effective plan go, and the workspace's seats follow, before the request answers.
   */
  async membershipsChanged(workspaceId: string, userIds: string[]): Promise<void> {
    await Promise.all(
      userIds.map((userId) =>
        this.events.publishAndWait(DomainEvents.WorkspaceMembershipChanged, userId, NO_REQUEST, {
          workspaceId,
        }),
      ),
    );
  }

  /**
   * Deletes a workspace: WorkspaceDeleting is awaited first (a failing listener stops it),
   * then `check` runs under the workspace's lock and the rows go; every member's membership
   * ends. `recorded: false` for an erasure, which leaves no activity of its user behind.
   */
  async deleteWorkspace(
    workspaceId: string,
    actorId: string,
    meta: RequestMeta,
    check: (manager: EntityManager) => Promise<void>,
    recorded = true,
  ): Promise<void> {
    await this.events.publishAndWait(DomainEvents.WorkspaceDeleting, actorId, meta, {
      workspaceId,
    });
    const members = await this.dataSource.transaction(async (manager) => {
      if (!(await this.workspaces.lock(manager, workspaceId)))
        throw new NotFoundException(NOT_FOUND);
      await check(manager);
      const ids = await this.workspaces.memberIds(workspaceId, manager);
      await this.workspaces.delete(manager, workspaceId);
      return ids;
    });
    if (recorded) {
      this.events.publish(DomainEvents.WorkspaceDeleted, actorId, meta, {
        workspaceId,
        members: members.length,
      });
    }
    await this.membershipsChanged(workspaceId, members);
  }

  /**
   * Ends an erased user's membership of a workspace that has other members (no activity is
   * recorded); 409 when they are its only owner.
   */
  async removeForErasure(workspaceId: string, userId: string): Promise<void> {
    const removed = await this.dataSource.transaction(async (manager) => {
      if (!(await this.workspaces.lock(manager, workspaceId))) return false;
      const role = await this.workspaces.roleOf(workspaceId, userId, manager);
      if (!role) return false;
      const owners = await this.workspaces.ownerCount(manager, workspaceId);
      if (role === 'owner' && owners <= 1) throw new ConflictException(SOLE_OWNER);
      await this.invitations.revokeSentBy(manager, workspaceId, userId, this.clock.now());
      return this.workspaces.removeMember(manager, workspaceId, userId);
    });
    if (removed) await this.membershipsChanged(workspaceId, [userId]);
  }

  // For Billing and Subscriptions.

  memberIds(workspaceId: string): Promise<string[]> {
    return this.workspaces.memberIds(workspaceId);
  }

  memberCount(workspaceId: string): Promise<number> {
    return this.workspaces.memberCount(workspaceId);
  }

  workspaceIdsOf(userId: string): Promise<string[]> {
    return this.workspaces.workspaceIdsOf(userId);
  }

  roleOf(workspaceId: string, userId: string): Promise<WorkspaceRole | null> {
    return this.workspaces.roleOf(workspaceId, userId);
  }

  /** The user's memberships, for their data export. */
  exportFor(userId: string): Promise<ExportedMembershipDto[]> {
    return this.workspaces.exportedMembershipsOf(userId);
  }

  /** Owners and admins manage billing; a non-member gets 404, a member 403. */
  async assertCanManageBilling(workspaceId: string, userId: string): Promise<void> {
    await this.requireRole(workspaceId, userId, 'admin');
  }

  /** Null when there is no such workspace. */
  seatsVersion(workspaceId: string): Promise<number | null> {
    return this.workspaces.seatsVersion(workspaceId);
  }

  async findSummary(workspaceId: string): Promise<{ id: string; name: string } | null> {
    const row = await this.workspaces.find(workspaceId);
    return row ? { id: row.id, name: row.name } : null;
  }

  private async found(workspaceId: string): Promise<WorkspaceRow> {
    const row = await this.workspaces.find(workspaceId);
    if (!row) throw new NotFoundException(NOT_FOUND);
    return row;
  }

  private async view(row: WorkspaceRow, role: WorkspaceRole): Promise<WorkspaceDto> {
    return { ...row, role, memberCount: await this.workspaces.memberCount(row.id) };
  }

  /**
   * Under the workspace's lock: both roles and the owner count as they stand. The actor no
   * longer a member is a 404 (as for any non-member); the target not a member, a 404 too.
   */
  private async lockForChange(
    manager: EntityManager,
    workspaceId: string,
    actorId: string,
    targetId: string,
  ): Promise<{ actorRole: WorkspaceRole; targetRole: WorkspaceRole; owners: number }> {
    if (!(await this.workspaces.lock(manager, workspaceId))) throw new NotFoundException(NOT_FOUND);
    const actorRole = await this.workspaces.roleOf(workspaceId, actorId, manager);
    if (!actorRole) throw new NotFoundException(NOT_FOUND);
    const targetRole = await this.workspaces.roleOf(workspaceId, targetId, manager);
    if (!targetRole) throw new NotFoundException('Member not found');
    const owners = await this.workspaces.ownerCount(manager, workspaceId);
    return { actorRole, targetRole, owners };
  }
}
