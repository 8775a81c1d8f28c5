import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { returnedRows } from '../../database/returned-rows.js';
import type { InvitableRole } from './workspace-roles.js';

/** An invitation without its token hash. */
export interface InvitationRow {
  id: string;
  workspaceId: string;
  email: string;
  role: InvitableRole;
  invitedBy: string | null;
  createdAt: Date;
  expiresAt: Date;
  lastSentAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
}

const COLUMNS = `id, workspace_id AS "workspaceId", email, role, invited_by AS "invitedBy",
  created_at AS "createdAt", expires_at AS "expiresAt", last_sent_at AS "lastSentAt",
  accepted_at AS "acceptedAt", revoked_at AS "revokedAt"`;

/** Neither accepted nor revoked (it may have expired): at most one per workspace and address. */
const OPEN = `accepted_at IS NULL AND revoked_at IS NULL`;

/**
 * The workspace_invitations table. Writers hold the workspace's row lock, so two invitations
 * to one address cannot race past the one-open-invitation index.
 */
@Injectable()
export class InvitationsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async findOpen(
    manager: EntityManager,
    workspaceId: string,
    email: string,
  ): Promise<InvitationRow | null> {
    const [row] = await manager.query<InvitationRow[]>(
      `SELECT ${COLUMNS} FROM workspace_invitations
        WHERE workspace_id = $1 AND email = $2 AND ${OPEN}`,
      [workspaceId, email],
    );
    return row ?? null;
  }

  async countOpen(manager: EntityManager, workspaceId: string): Promise<number> {
    const [row] = await manager.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM workspace_invitations WHERE workspace_id = $1 AND ${OPEN}`,
      [workspaceId],
    );
    return row.n;
  }

  async insert(
    manager: EntityManager,
    invitation: Pick<
      InvitationRow,
      'workspaceId' | 'email' | 'role' | 'invitedBy' | 'expiresAt'
    > & {
      tokenHash: Buffer;
      sentAt: Date;
    },
  ): Promise<InvitationRow> {
    const [row] = await manager.query<InvitationRow[]>(
      `INSERT INTO workspace_invitations
         (workspace_id, email, role, token_hash, invited_by, expires_at, last_sent_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       RETURNING ${COLUMNS}`,
      [
        invitation.workspaceId,
        invitation.email,
        invitation.role,
        invitation.tokenHash,
        invitation.invitedBy,
        invitation.expiresAt,
        invitation.sentAt,
      ],
    );
    return row;
  }

  /** Sending again: a new token (the old one stops working), role, sender and expiry. */
  async renew(
    manager: EntityManager,
    id: string,
    renewal: Pick<InvitationRow, 'role' | 'invitedBy' | 'expiresAt'> & {
      tokenHash: Buffer;
      sentAt: Date;
    },
  ): Promise<InvitationRow> {
    const [row] = returnedRows(
      await manager.query<InvitationRow[]>(
        `UPDATE workspace_invitations
            SET token_hash = $2, role = $3, invited_by = $4, expires_at = $5, last_sent_at = $6
          WHERE id = $1
          RETURNING ${COLUMNS}`,
        [id, renewal.tokenHash, renewal.role, renewal.invitedBy, renewal.expiresAt, renewal.sentAt],
      ),
    );
    return row;
  }

  /** Open invitations (expired ones included until renewed or revoked), newest first. */
  listOpen(workspaceId: string): Promise<InvitationRow[]> {
    return this.dataSource.query<InvitationRow[]>(
      `SELECT ${COLUMNS} FROM workspace_invitations
        WHERE workspace_id = $1 AND ${OPEN}
        ORDER BY created_at DESC, id`,
      [workspaceId],
    );
  }

  async findByTokenHash(tokenHash: Buffer): Promise<InvitationRow | null> {
    const [row] = await this.dataSource.query<InvitationRow[]>(
      `SELECT ${COLUMNS} FROM workspace_invitations WHERE token_hash = $1`,
      [tokenHash],
    );
    return row ?? null;
  }

  /**
   * Uses the invitation up if it is still open and unexpired at `now`: one statement, so of
   * two acceptances at once exactly one gets the row back.
   */
  async consume(
    manager: EntityManager,
    id: string,
    tokenHash: Buffer,
    userId: string,
    now: Date,
  ): Promise<InvitationRow | null> {
    const [row] = returnedRows(
      await manager.query<InvitationRow[]>(
        `UPDATE workspace_invitations SET accepted_at = $4, accepted_by = $3
          WHERE id = $1 AND token_hash = $2 AND ${OPEN} AND expires_at > $4
          RETURNING ${COLUMNS}`,
        [id, tokenHash, userId, now],
      ),
    );
    return row ?? null;
  }

  /**
   * Revokes the open invitations `userId` sent to the workspace, in the caller's transaction
   * (which holds the workspace's lock): an invitation stands on its sender's right to invite,
   * and ends with it (the sender removed, gone or made a member).
   */
  async revokeSentBy(
    manager: EntityManager,
    workspaceId: string,
    userId: string,
    now: Date,
  ): Promise<void> {
    await manager.query(
      `UPDATE workspace_invitations SET revoked_at = $3
        WHERE workspace_id = $1 AND invited_by = $2 AND ${OPEN}`,
      [workspaceId, userId, now],
    );
  }

  /** False when there is no open invitation with this id in the workspace. */
  async revoke(workspaceId: string, id: string, now: Date): Promise<boolean> {
    const rows = returnedRows(
      await this.dataSource.query<unknown[]>(
        `UPDATE workspace_invitations SET revoked_at = $3
          WHERE workspace_id = $1 AND id = $2 AND ${OPEN}
          RETURNING id`,
        [workspaceId, id, now],
      ),
    );
    return rows.length > 0;
  }
}
