import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { RefreshToken } from './refresh-token.entity.js';
import { Session } from './session.entity.js';

/** What a refresh attempt found, decided under row locks. */
export type RotationOutcome =
  | { kind: 'invalid' }
  | { kind: 'reused'; userId: string; sessionId: string }
  | { kind: 'rotated'; token: string; sessionId: string; userId: string };

interface LockedRow {
  token_id: string;
  rotated_at: Date | null;
  successor_ciphertext: Buffer | null;
  session_id: string;
  user_id: string;
  expires_at: Date;
  revoked_at: Date | null;
}

export interface SessionView {
  id: string;
  userAgent: string | null;
  ipAddress: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

@Injectable()
export class SessionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * A new login: the session and its first refresh token, in one statement (one round trip,
   * atomic). The same statement drops the user's sessions that expired or were revoked more
   * than a day ago, so they never pile up.
   */
  async create(
    userId: string,
    meta: RequestMeta,
    expiresAt: Date,
    tokenHash: Buffer,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<string> {
    const [{ id }] = (await manager.query(
      `WITH pruned AS (
         DELETE FROM user_sessions
          WHERE user_id = $1
            AND (expires_at < now() - interval '1 day' OR revoked_at < now() - interval '1 day')
       ), session AS (
         INSERT INTO user_sessions (user_id, user_agent, ip_address, expires_at, last_used_at)
         VALUES ($1, $2, $3, $4, now()) RETURNING id
       )
       INSERT INTO refresh_tokens (session_id, token_hash)
       SELECT id, $5 FROM session RETURNING session_id AS id`,
      [userId, meta.userAgent, meta.ip, expiresAt, tokenHash],
    )) as { id: string }[];
    return id;
  }

  /**
   * One refresh, atomically: the presented token and its session are locked, so two
   * concurrent refreshes of one token are serialised. A current token is rotated; a token
   * rotated within the grace window yields the same successor; any other rotated token
   * revokes the whole session (a stolen token was replayed). Whether the user may still sign
   * in is the caller's to check (their access state).
   */
  rotate(
    tokenHash: Buffer,
    meta: RequestMeta,
    now: Date,
    graceSeconds: number,
    successor: { token: string; hash: Buffer; ciphertext: Buffer },
    codec: { decrypt(ciphertext: Buffer): string | undefined; hash(token: string): Buffer },
  ): Promise<RotationOutcome> {
    return this.dataSource.transaction(async (manager) => {
      const rows: LockedRow[] = await manager.query(
        `SELECT t.id AS token_id, t.rotated_at, t.successor_ciphertext,
                s.id AS session_id, s.user_id, s.expires_at, s.revoked_at
           FROM refresh_tokens t
           JOIN user_sessions s ON s.id = t.session_id
          WHERE t.token_hash = $1
          FOR UPDATE OF t, s`,
        [tokenHash],
      );
      const row = rows[0];
      if (!row || row.revoked_at || row.expires_at <= now) return { kind: 'invalid' };
      const rotated = { kind: 'rotated', sessionId: row.session_id, userId: row.user_id } as const;

      if (row.rotated_at) {
        const withinGrace = now.getTime() - row.rotated_at.getTime() <= graceSeconds * 1000;
        const current =
          withinGrace && row.successor_ciphertext
            ? codec.decrypt(row.successor_ciphertext)
            : undefined;
        if (
          current !== undefined &&
          (await this.isCurrent(manager, row.session_id, codec.hash(current)))
        ) {
          return { ...rotated, token: current };
        }
        await this.revokeSession(manager, row.session_id, 'refresh_token_reused');
        return { kind: 'reused', userId: row.user_id, sessionId: row.session_id };
      }

      await manager.query(
        `UPDATE refresh_tokens SET rotated_at = $3, successor_ciphertext = $2 WHERE id = $1`,
        [row.token_id, successor.ciphertext, now],
      );
      await manager
        .getRepository(RefreshToken)
        .insert({ sessionId: row.session_id, tokenHash: successor.hash });
      await manager.query(
        `UPDATE user_sessions SET last_used_at = $4, ip_address = $2, user_agent = $3 WHERE id = $1`,
        [row.session_id, meta.ip, meta.userAgent, now],
      );
      return { ...rotated, token: successor.token };
    });
  }

  /** Revokes the session a refresh token belongs to; returns its user, if any. */
  async revokeByToken(tokenHash: Buffer, reason: string): Promise<string | undefined> {
    const rows: { user_id: string }[] = await this.dataSource.query(
      `UPDATE user_sessions s SET revoked_at = now(), revoked_reason = $2
         FROM refresh_tokens t
        WHERE t.session_id = s.id AND t.token_hash = $1 AND s.revoked_at IS NULL
    RETURNING s.user_id`,
      [tokenHash, reason],
    );
    return this.firstRow(rows)?.user_id;
  }

  async revokedWithin(userId: string, seconds: number): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM user_sessions
        WHERE user_id = $1 AND revoked_at > now() - make_interval(secs => $2)`,
      [userId, seconds],
    );
    return rows.map((row) => row.id);
  }

  /** Revokes every live session of a user, except one when given. */
  async revokeAllForUser(
    userId: string,
    reason: string,
    exceptSessionId: string | null = null,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await manager.query(
      `UPDATE user_sessions SET revoked_at = now(), revoked_reason = $2
        WHERE user_id = $1 AND revoked_at IS NULL AND ($3::uuid IS NULL OR id <> $3::uuid)`,
      [userId, reason, exceptSessionId],
    );
  }

  async listForUser(userId: string): Promise<SessionView[]> {
    const sessions = await this.dataSource
      .getRepository(Session)
      .find({ where: { userId }, order: { createdAt: 'DESC' } });
    return sessions.map(
      ({ id, userAgent, ipAddress, createdAt, lastUsedAt, expiresAt, revokedAt }) => ({
        id,
        userAgent,
        ipAddress,
        createdAt,
        lastUsedAt,
        expiresAt,
        revokedAt,
      }),
    );
  }

  private async isCurrent(
    manager: EntityManager,
    sessionId: string,
    tokenHash: Buffer,
  ): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `SELECT 1 FROM refresh_tokens WHERE session_id = $1 AND token_hash = $2 AND rotated_at IS NULL`,
      [sessionId, tokenHash],
    );
    return rows.length > 0;
  }

  private async revokeSession(
    manager: EntityManager,
    sessionId: string,
    reason: string,
  ): Promise<void> {
    await manager.query(
      `UPDATE user_sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL`,
      [sessionId, reason],
    );
  }

  /** UPDATE ... RETURNING comes back as [rows, count] from TypeORM's postgres driver. */
  private firstRow<T>(result: T[] | [T[], number]): T | undefined {
    return Array.isArray(result[0]) ? (result[0] as T[])[0] : (result as T[])[0];
  }
}
