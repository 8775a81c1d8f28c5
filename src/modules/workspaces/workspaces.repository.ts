import type { ExportedMembershipDto } from './dto/workspace.dto.js';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { returnedRows } from '../../database/returned-rows.js';
import type { WorkspaceRole } from './workspace-roles.js';

export interface WorkspaceRow {
  id: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface MemberRow {
  userId: string;
  role: WorkspaceRole;
  joinedAt: Date;
}

/** A workspace as one member sees it: with their role and the member count. */
export interface MyWorkspaceRow extends WorkspaceRow {
  role: WorkspaceRole;
  memberCount: number;
}

/** A workspace as an administrator lists it. */
export interface AdminWorkspaceRow extends WorkspaceRow {
  memberCount: number;
}

/** One of a user's memberships, with what erasure needs to decide about it. */
export interface MembershipFacts {
  workspaceId: string;
  name: string;
  role: WorkspaceRole;
  members: number;
  owners: number;
}

const WORKSPACE_COLUMNS = `w.id, w.name, w.created_at AS "createdAt", w.updated_at AS "updatedAt"`;

/**
 * The workspaces and workspace_members tables. Every change to who is a member goes through
 * `addMember` or `removeMember`, which move `seats_version` in the same statement's
 * transaction; the caller holds the workspace's row lock (`lock`), so membership changes of
 * one workspace take turns (and the last-owner rule cannot be raced).
 */
@Injectable()
export class WorkspacesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async create(manager: EntityManager, name: string): Promise<WorkspaceRow> {
    const [row] = await manager.query<WorkspaceRow[]>(
      `INSERT INTO workspaces AS w (name) VALUES ($1) RETURNING ${WORKSPACE_COLUMNS}`,
      [name],
    );
    return row;
  }

  /** The workspace's row, locked until the caller's transaction ends; null when it is gone. */
  async lock(manager: EntityManager, workspaceId: string): Promise<WorkspaceRow | null> {
    const [row] = await manager.query<WorkspaceRow[]>(
      `SELECT ${WORKSPACE_COLUMNS} FROM workspaces w WHERE w.id = $1 FOR UPDATE`,
      [workspaceId],
    );
    return row ?? null;
  }

  async find(workspaceId: string): Promise<WorkspaceRow | null> {
    const [row] = await this.dataSource.query<WorkspaceRow[]>(
      `SELECT ${WORKSPACE_COLUMNS} FROM workspaces w WHERE w.id = $1`,
      [workspaceId],
    );
    return row ?? null;
  }

  async rename(workspaceId: string, name: string): Promise<WorkspaceRow | null> {
    const rows = returnedRows(
      await this.dataSource.query<WorkspaceRow[]>(
        `UPDATE workspaces w SET name = $2, updated_at = now() WHERE w.id = $1
         RETURNING ${WORKSPACE_COLUMNS}`,
        [workspaceId, name],
      ),
    );
    return rows[0] ?? null;
  }

  /** The workspace and, by cascade, its memberships and invitations. */
  async delete(manager: EntityManager, workspaceId: string): Promise<void> {
    await manager.query(`DELETE FROM workspaces WHERE id = $1`, [workspaceId]);
  }

  /** The member's role, read now (no cache: a removal ends access at once everywhere). */
  async roleOf(
    workspaceId: string,
    userId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<WorkspaceRole | null> {
    const [row] = await manager.query<{ role: WorkspaceRole }[]>(
      `SELECT role FROM workspace_members WHERE workspace_id = $1 AND user_id = $2`,
      [workspaceId, userId],
    );
    return row?.role ?? null;
  }

  async member(workspaceId: string, userId: string): Promise<MemberRow | null> {
    const [row] = await this.dataSource.query<MemberRow[]>(
      `SELECT user_id AS "userId", role, joined_at AS "joinedAt"
         FROM workspace_members WHERE workspace_id = $1 AND user_id = $2`,
      [workspaceId, userId],
    );
    return row ?? null;
  }

  /** Oldest first, so the list does not reshuffle as people join. */
  members(workspaceId: string): Promise<MemberRow[]> {
    return this.dataSource.query<MemberRow[]>(
      `SELECT user_id AS "userId", role, joined_at AS "joinedAt"
         FROM workspace_members WHERE workspace_id = $1
        ORDER BY joined_at, user_id`,
      [workspaceId],
    );
  }

  async memberIds(
    workspaceId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<string[]> {
    const rows = await manager.query<{ userId: string }[]>(
      `SELECT user_id AS "userId" FROM workspace_members WHERE workspace_id = $1
        ORDER BY joined_at, user_id`,
      [workspaceId],
    );
    return rows.map((row) => row.userId);
  }

  async memberCount(workspaceId: string): Promise<number> {
    const [row] = await this.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM workspace_members WHERE workspace_id = $1`,
      [workspaceId],
    );
    return row.n;
  }

  async ownerCount(manager: EntityManager, workspaceId: string): Promise<number> {
    const [row] = await manager.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM workspace_members
        WHERE workspace_id = $1 AND role = 'owner'`,
      [workspaceId],
    );
    return row.n;
  }

  async workspaceIdsOf(userId: string): Promise<string[]> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT workspace_id AS id FROM workspace_members WHERE user_id = $1
        ORDER BY joined_at, workspace_id`,
      [userId],
    );
    return rows.map((row) => row.id);
  }

  /** The user's workspaces, by name, a page at a time, with the total. */
  async listOf(
    userId: string,
    page: { offset: number; limit: number },
  ): Promise<{ items: MyWorkspaceRow[]; total: number }> {
    const [items, [{ total }]] = await Promise.all([
      this.dataSource.query<MyWorkspaceRow[]>(
        `SELECT ${WORKSPACE_COLUMNS}, m.role,
                (SELECT count(*)::int FROM workspace_members c
                  WHERE c.workspace_id = w.id) AS "memberCount"
           FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id
          WHERE m.user_id = $1
          ORDER BY lower(w.name), w.id
          LIMIT $2 OFFSET $3`,
        [userId, page.limit, page.offset],
      ),
      this.dataSource.query<{ total: number }[]>(
        `SELECT count(*)::int AS total FROM workspace_members WHERE user_id = $1`,
        [userId],
      ),
    ]);
    return { items, total };
  }

  /** Every workspace, by name, optionally those whose name contains `search`, with the total. */
  async listAll(
    search: string | undefined,
    page: { offset: number; limit: number },
  ): Promise<{ items: AdminWorkspaceRow[]; total: number }> {
    const pattern = search ? `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
    const [items, [{ total }]] = await Promise.all([
      this.dataSource.query<AdminWorkspaceRow[]>(
        `SELECT ${WORKSPACE_COLUMNS},
                (SELECT count(*)::int FROM workspace_members c
                  WHERE c.workspace_id = w.id) AS "memberCount"
           FROM workspaces w
          WHERE $1::text IS NULL OR w.name ILIKE $1
          ORDER BY lower(w.name), w.id
          LIMIT $2 OFFSET $3`,
        [pattern, page.limit, page.offset],
      ),
      this.dataSource.query<{ total: number }[]>(
        `SELECT count(*)::int AS total FROM workspaces w WHERE $1::text IS NULL OR w.name ILIKE $1`,
        [pattern],
      ),
    ]);
    return { items, total };
  }

  async seatsVersion(workspaceId: string): Promise<number | null> {
    const [row] = await this.dataSource.query<{ version: string }[]>(
      `SELECT seats_version AS version FROM workspaces WHERE id = $1`,
      [workspaceId],
    );
    return row ? Number(row.version) : null;
  }

  /** False when they already were a member (nothing changes then, seats_version included). */
  async addMember(
    manager: EntityManager,
    workspaceId: string,
    userId: string,
    role: WorkspaceRole,
  ): Promise<boolean> {
    const inserted = await manager.query<unknown[]>(
      `INSERT INTO workspace_members (workspace_id, user_id, role) VALUES ($1, $2, $3)
       ON CONFLICT (workspace_id, user_id) DO NOTHING RETURNING user_id`,
      [workspaceId, userId, role],
    );
    if (inserted.length > 0) await this.bumpSeats(manager, workspaceId);
    return inserted.length > 0;
  }

  /** False when they were not a member. */
  async removeMember(
    manager: EntityManager,
    workspaceId: string,
    userId: string,
  ): Promise<boolean> {
    const removed = returnedRows(
      await manager.query<unknown[]>(
        `DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2
         RETURNING user_id`,
        [workspaceId, userId],
      ),
    );
    if (removed.length > 0) await this.bumpSeats(manager, workspaceId);
    return removed.length > 0;
  }

  async setRole(
    manager: EntityManager,
    workspaceId: string,
    userId: string,
    role: WorkspaceRole,
  ): Promise<void> {
    await manager.query(
      `UPDATE workspace_members SET role = $3 WHERE workspace_id = $1 AND user_id = $2`,
      [workspaceId, userId, role],
    );
  }

  /** Each workspace the user belongs to, with its member and owner counts. */
  /** The user's memberships as their data export shows them. */
  exportedMembershipsOf(userId: string): Promise<ExportedMembershipDto[]> {
    return this.dataSource.query<ExportedMembershipDto[]>(
      `SELECT w.id AS "workspaceId", w.name, m.role, m.joined_at AS "joinedAt"
         FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id
        WHERE m.user_id = $1
        ORDER BY m.joined_at, w.id`,
      [userId],
    );
  }

  membershipsOf(userId: string): Promise<MembershipFacts[]> {
    return this.dataSource.query<MembershipFacts[]>(
      `SELECT w.id AS "workspaceId", w.name, m.role,
              (SELECT count(*)::int FROM workspace_members c
                WHERE c.workspace_id = w.id) AS members,
              (SELECT count(*)::int FROM workspace_members o
                WHERE o.workspace_id = w.id AND o.role = 'owner') AS owners
         FROM workspace_members m JOIN workspaces w ON w.id = m.workspace_id
        WHERE m.user_id = $1
        ORDER BY lower(w.name), w.id`,
      [userId],
    );
  }

  private async bumpSeats(manager: EntityManager, workspaceId: string): Promise<void> {
    await manager.query(`UPDATE workspaces SET seats_version = seats_version + 1 WHERE id = $1`, [
      workspaceId,
    ]);
  }
}
