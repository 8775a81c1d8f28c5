import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { returnedRows } from '../../database/returned-rows.js';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { RefreshToken } from './refresh-token.entity.js';
import { Session } from './session.entity.js';

/** The session's methods with those of `added` (an SQL text[]), once each and sorted. */
const amrWith = (added: string) => `ARRAY(SELECT DISTINCT unnest(amr || ${added}) ORDER BY 1)`;

/** What a refresh attempt found, decided under row locks. */
export type RotationOutcome =
  | { kind: 'invalid' }
  | { kind: 'reused'; userId: string; sessionId: string }
  | {
      kind: 'rotated';
      token: string;
      sessionId: string;
      userId: string;
      /** When the user last proved who they are in this session. */
      authenticatedAt: Date;
      /** How they did (RFC 8176 method names). */
      amr: string[];
    };

/** How a session was established, or last renewed by a reauthentication. */
export interface SessionAuthentication {
  authenticatedAt: Date;
  /** A second factor was used. */
  mfa: boolean;
  /** The methods used (RFC 8176 names): a renewal adds its own to the session's. */
  amr: readonly string[];
  /** The passkey a sign-in used (only at the session's start). */
  passkeyId?: string | null;
}

/** A refresh token about to be issued: its hash, and its encryption for the grace window. */
export interface SuccessorToken {
  token: string;
  hash: Buffer;
  ciphertext: Buffer;
}

interface LockedRow {
  token_id: string;
  rotated_at: Date | null;
  successor_ciphertext: Buffer | null;
  session_id: string;
  user_id: string;
  expires_at: Date;
  revoked_at: Date | null;
  authenticated_at: Date;
  amr: string[];
}

/** A live session as the sessions page lists it. */
export interface LiveSession {
  id: string;
  userAgent: string | null;
  ipAddress: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  mfa: boolean;
}

export interface SessionView {
  id: string;
  userAgent: string | null;
  ipAddress: string | null;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  authenticatedAt: Date;
  mfa: boolean;
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
    authentication: SessionAuthentication,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<string> {
    const [{ id }] = (await manager.query(
      `WITH pruned AS (
         DELETE FROM user_sessions
          WHERE user_id = $1
            AND (expires_at < now() - interval '1 day' OR revoked_at < now() - interval '1 day')
       ), session AS (
         INSERT INTO user_sessions
                (user_id, user_agent, ip_address, expires_at, last_used_at, authenticated_at, mfa, amr,
                 passkey_id)
         VALUES ($1, $2, $3, $4, now(), $6, $7, $8, $9) RETURNING id
       )
       INSERT INTO refresh_tokens (session_id, token_hash)
       SELECT id, $5 FROM session RETURNING session_id AS id`,
      [
        userId,
        meta.userAgent,
        meta.ip,
        expiresAt,
        tokenHash,
        authentication.authenticatedAt,
        authentication.mfa,
        authentication.amr,
        authentication.passkeyId ?? null,
      ],
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
    successor: SuccessorToken,
    codec: { decrypt(ciphertext: Buffer): string | undefined; hash(token: string): Buffer },
  ): Promise<RotationOutcome> {
    return this.dataSource.transaction(async (manager) => {
      const rows: LockedRow[] = await manager.query(
        `SELECT t.id AS token_id, t.rotated_at, t.successor_ciphertext,
                s.id AS session_id, s.user_id, s.expires_at, s.revoked_at, s.authenticated_at,
                s.amr
           FROM refresh_tokens t
           JOIN user_sessions s ON s.id = t.session_id
          WHERE t.token_hash = $1
          FOR UPDATE OF t, s`,
        [tokenHash],
      );
      const row = rows[0];
      if (!row || row.revoked_at || row.expires_at <= now) return { kind: 'invalid' };
      const rotated = {
        kind: 'rotated',
        sessionId: row.session_id,
        userId: row.user_id,
        authenticatedAt: row.authenticated_at,
        amr: row.amr,
      } as const;

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

      await this.replaceCurrentToken(manager, row.token_id, row.session_id, successor, meta, now);
      return { ...rotated, token: successor.token };
    });
  }

  /**
   * A reauthentication in one of the user's live sessions: the session records it, and its
   * current refresh token is rotated to the successor, the replaced token then following the
   * rotation rules (the same successor within the grace window, the session revoked after it).
   * The session's methods after the renewal (its own and the new one's); null when the user
   * has no such live session.
   */
  renew(
    userId: string,
    sessionId: string,
    meta: RequestMeta,
    authentication: SessionAuthentication,
    successor: SuccessorToken,
  ): Promise<string[] | null> {
    return this.dataSource.transaction(async (manager) => {
      // Locked as rotate locks them, so a concurrent refresh of the session waits its turn.
      const lockCurrentToken = (): Promise<{ token_id: string }[]> =>
        manager.query(
          `SELECT t.id AS token_id
             FROM refresh_tokens t
             JOIN user_sessions s ON s.id = t.session_id
            WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $3
              AND t.rotated_at IS NULL
            FOR UPDATE OF t, s`,
          [sessionId, userId, authentication.authenticatedAt],
        );
      // Empty also when a refresh rotated the token while this waited for the lock: its
      // successor, committed since, is found by a second look.
      const current = (await lockCurrentToken())[0] ?? (await lockCurrentToken())[0];
      if (!current) return null;
      return this.replaceCurrentToken(
        manager,
        current.token_id,
        sessionId,
        successor,
        meta,
        authentication.authenticatedAt,
        authentication,
      );
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

  /** Ends one of the user's live sessions; false when the user has no such live session. */
  async revokeOwned(
    userId: string,
    sessionId: string,
    reason: string,
    now: Date,
  ): Promise<boolean> {
    const rows: { id: string }[] = await this.dataSource.query(
      `UPDATE user_sessions SET revoked_at = now(), revoked_reason = $3
        WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $4
    RETURNING id`,
      [sessionId, userId, reason, now],
    );
    return this.firstRow(rows) !== undefined;
  }

  /**
   * The user's live sessions: the one given first (the caller's), then the most recently
   * used, at most `limit` of them.
   */
  async listLive(
    userId: string,
    firstSessionId: string,
    now: Date,
    limit: number,
  ): Promise<LiveSession[]> {
    const rows: {
      id: string;
      user_agent: string | null;
      ip_address: string | null;
      created_at: Date;
      last_used_at: Date;
      mfa: boolean;
    }[] = await this.dataSource.query(
      `SELECT id, user_agent, host(ip_address) AS ip_address, created_at, last_used_at, mfa
         FROM user_sessions
        WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $3
        ORDER BY id = $2 DESC, last_used_at DESC, created_at DESC, id
        LIMIT $4`,
      [userId, firstSessionId, now, limit],
    );
    return rows.map((row) => ({
      id: row.id,
      userAgent: row.user_agent,
      ipAddress: row.ip_address,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
      mfa: row.mfa,
    }));
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

  /** Ends the live sessions that were started with the passkey, in the caller's transaction. */
  async revokeStartedWith(
    passkeyId: string,
    reason: string,
    manager: EntityManager,
  ): Promise<number> {
    const rows: unknown[] | [unknown[], number] = await manager.query(
      `UPDATE user_sessions SET revoked_at = now(), revoked_reason = $2
        WHERE passkey_id = $1 AND revoked_at IS NULL
    RETURNING id`,
      [passkeyId, reason],
    );
    return returnedRows(rows).length;
  }

  /** The session proved more (a factor set up in it): its methods grow, its tokens follow. */
  async addMethods(
    sessionId: string,
    amr: readonly string[],
    manager: EntityManager,
  ): Promise<void> {
    await manager.query(
      `UPDATE user_sessions
          SET amr = ${amrWith('$2::text[]')},
              mfa = mfa OR 'mfa' = ANY($2::text[])
        WHERE id = $1`,
      [sessionId, amr],
    );
  }

  listForUser(userId: string): Promise<SessionView[]> {
    return this.dataSource.getRepository(Session).find({
      where: { userId },
      order: { createdAt: 'DESC' },
      select: {
        id: true,
        userAgent: true,
        ipAddress: true,
        createdAt: true,
        lastUsedAt: true,
        expiresAt: true,
        authenticatedAt: true,
        mfa: true,
        revokedAt: true,
      },
    });
  }

  /**
   * The session's current refresh token becomes `successor`; the session records its use
   * (and, for a reauthentication, the new authentication); returns the session's methods.
   */
  private async replaceCurrentToken(
    manager: EntityManager,
    tokenId: string,
    sessionId: string,
    successor: SuccessorToken,
    meta: RequestMeta,
    now: Date,
    authentication?: SessionAuthentication,
  ): Promise<string[]> {
    await manager.query(
      `UPDATE refresh_tokens SET rotated_at = $3, successor_ciphertext = $2 WHERE id = $1`,
      [tokenId, successor.ciphertext, now],
    );
    await manager.getRepository(RefreshToken).insert({ sessionId, tokenHash: successor.hash });
    const rows: { amr: string[] }[] | [{ amr: string[] }[], number] = await manager.query(
      `UPDATE user_sessions
          SET last_used_at = $4, ip_address = $2, user_agent = $3,
              authenticated_at = COALESCE($5, authenticated_at), mfa = mfa OR $6,
              amr = ${amrWith("COALESCE($7::text[], '{}')")}
        WHERE id = $1
    RETURNING amr`,
      [
        sessionId,
        meta.ip,
        meta.userAgent,
        now,
        authentication?.authenticatedAt ?? null,
        authentication?.mfa ?? false,
        authentication?.amr ?? null,
      ],
    );
    return returnedRows(rows)[0].amr;
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
    return returnedRows(result)[0];
  }
}
