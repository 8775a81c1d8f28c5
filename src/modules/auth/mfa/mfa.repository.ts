import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { returnedRows } from '../../../database/returned-rows.js';

/** A confirmed or pending authenticator, as the TOTP rules need it. */
export interface StoredTotp {
  secretCiphertext: Buffer;
  confirmed: boolean;
  lastUsedStep: number | null;
}

/** A challenge whose attempt was counted: who it is for and how the first step went. */
export interface ClaimedChallenge {
  id: string;
  userId: string;
  amr: string[];
  userAgent: string | null;
}

type ClaimedRow = { id: string; user_id: string; amr: string[]; user_agent: string | null };

/**
 * The second-factor tables: user_totp, mfa_recovery_codes and mfa_challenges. Each rule that
 * must hold under concurrency (a code accepted once, a challenge used once, at most N tries)
 * is a single conditional statement.
 */
@Injectable()
export class MfaRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async findTotp(userId: string): Promise<StoredTotp | null> {
    const rows: {
      secret_ciphertext: Buffer;
      confirmed_at: Date | null;
      last_used_step: string | null;
    }[] = await this.dataSource.query(
      `SELECT secret_ciphertext, confirmed_at, last_used_step FROM user_totp WHERE user_id = $1`,
      [userId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      secretCiphertext: row.secret_ciphertext,
      confirmed: row.confirmed_at !== null,
      lastUsedStep: row.last_used_step === null ? null : Number(row.last_used_step),
    };
  }

  /** A new pending secret replaces a pending one; false when TOTP is already confirmed. */
  async savePendingTotp(userId: string, secretCiphertext: Buffer): Promise<boolean> {
    const rows: unknown[] | [unknown[], number] = await this.dataSource.query(
      `INSERT INTO user_totp (user_id, secret_ciphertext) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE
          SET secret_ciphertext = EXCLUDED.secret_ciphertext, created_at = now()
        WHERE user_totp.confirmed_at IS NULL
       RETURNING user_id`,
      [userId, secretCiphertext],
    );
    return returnedRows(rows).length === 1;
  }

  /** The pending secret (exactly the one checked: `secretCiphertext`) becomes the factor. */
  async confirmTotp(
    userId: string,
    secretCiphertext: Buffer,
    step: number,
    manager: EntityManager,
  ): Promise<boolean> {
    const rows: unknown[] | [unknown[], number] = await manager.query(
      `UPDATE user_totp SET confirmed_at = now(), last_used_step = $3
        WHERE user_id = $1 AND confirmed_at IS NULL AND secret_ciphertext = $2
       RETURNING user_id`,
      [userId, secretCiphertext, step],
    );
    return returnedRows(rows).length === 1;
  }

  /** Records `step` as used; false when it (or a later one) already was: a replay. */
  async useTotpStep(userId: string, step: number): Promise<boolean> {
    const rows: unknown[] | [unknown[], number] = await this.dataSource.query(
      `UPDATE user_totp SET last_used_step = $2
        WHERE user_id = $1 AND confirmed_at IS NOT NULL
          AND (last_used_step IS NULL OR last_used_step < $2)
       RETURNING user_id`,
      [userId, step],
    );
    return returnedRows(rows).length === 1;
  }

  /** TOTP and the recovery codes go together; false when there was no TOTP. */
  async removeTotp(userId: string, manager: EntityManager): Promise<boolean> {
    const rows: unknown[] | [unknown[], number] = await manager.query(
      `DELETE FROM user_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL RETURNING user_id`,
      [userId],
    );
    await manager.query(`DELETE FROM mfa_recovery_codes WHERE user_id = $1`, [userId]);
    return returnedRows(rows).length === 1;
  }

  async replaceRecoveryCodes(
    userId: string,
    hashes: Buffer[],
    manager: EntityManager,
  ): Promise<void> {
    await manager.query(`DELETE FROM mfa_recovery_codes WHERE user_id = $1`, [userId]);
    await manager.query(
      `INSERT INTO mfa_recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])`,
      [userId, hashes],
    );
  }

  /** Marks the code used; false when it is unknown or was used already. */
  async useRecoveryCode(userId: string, hash: Buffer): Promise<boolean> {
    const rows: unknown[] | [unknown[], number] = await this.dataSource.query(
      `UPDATE mfa_recovery_codes SET used_at = now()
        WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL
       RETURNING id`,
      [userId, hash],
    );
    return returnedRows(rows).length === 1;
  }

  async unusedRecoveryCodes(userId: string): Promise<number> {
    const [{ count }]: { count: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS count FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL`,
      [userId],
    );
    return count;
  }

  /** A new challenge; the user's expired and used ones are dropped in the same statement. */
  async createChallenge(challenge: {
    userId: string;
    tokenHash: Buffer;
    amr: string[];
    userAgent: string | null;
    expiresAt: Date;
    now: Date;
  }): Promise<void> {
    await this.dataSource.query(
      `WITH pruned AS (
         DELETE FROM mfa_challenges
          WHERE user_id = $1 AND (expires_at < $6 OR used_at IS NOT NULL)
       )
       INSERT INTO mfa_challenges (user_id, token_hash, amr, user_agent, expires_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [
        challenge.userId,
        challenge.tokenHash,
        challenge.amr,
        challenge.userAgent,
        challenge.expiresAt,
        challenge.now,
      ],
    );
  }

  /**
   * Counts one attempt on a live challenge before its code is checked (so parallel guesses
   * never get more than `maxAttempts`), and holds the challenge for it until `holdUntil`: one
   * attempt at a time, so parallel right answers cannot spend two factors for one sign-in.
   * Null when the challenge is unknown, used, expired, out of attempts or held.
   */
  async claimChallengeAttempt(
    tokenHash: Buffer,
    now: Date,
    maxAttempts: number,
    holdUntil: Date,
  ): Promise<ClaimedChallenge | null> {
    const rows: ClaimedRow[] | [ClaimedRow[], number] = await this.dataSource.query(
      `UPDATE mfa_challenges SET failed_attempts = failed_attempts + 1, attempt_until = $4
          WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
            AND failed_attempts < $3 AND (attempt_until IS NULL OR attempt_until <= $2)
         RETURNING id, user_id, amr, user_agent`,
      [tokenHash, now, maxAttempts, holdUntil],
    );
    const [row] = returnedRows<ClaimedRow>(rows);
    return row
      ? { id: row.id, userId: row.user_id, amr: row.amr, userAgent: row.user_agent }
      : null;
  }

  /** The attempt succeeded: the challenge is used up. False when another attempt won. */
  async completeChallenge(id: string): Promise<boolean> {
    const rows: unknown[] | [unknown[], number] = await this.dataSource.query(
      `UPDATE mfa_challenges
          SET used_at = now(), failed_attempts = failed_attempts - 1, attempt_until = NULL
        WHERE id = $1 AND used_at IS NULL
       RETURNING id`,
      [id],
    );
    return returnedRows(rows).length === 1;
  }

  /** The attempt failed: the next one may start (the failure stays counted). */
  async releaseChallenge(id: string): Promise<void> {
    await this.dataSource.query(`UPDATE mfa_challenges SET attempt_until = NULL WHERE id = $1`, [
      id,
    ]);
  }
}
