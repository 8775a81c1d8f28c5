import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';

@Injectable()
export class PasswordResetsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Issues a token for a user; any earlier unused token of theirs stops working. `within`
   * runs in the same transaction (the token's mail is queued there).
   */
  async replace(
    userId: string,
    tokenHash: Buffer,
    ttlSeconds: number,
    within: (manager: EntityManager) => Promise<void>,
  ): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`DELETE FROM password_reset_tokens WHERE user_id = $1`, [userId]);
      await manager.query(
        `INSERT INTO password_reset_tokens (user_id, token_hash, expires_at)
         VALUES ($1, $2, now() + make_interval(secs => $3))`,
        [userId, tokenHash, ttlSeconds],
      );
      await within(manager);
    });
  }

  /** Whose a valid token is, without using it (consume decides, under its row lock). */
  async ownerOf(tokenHash: Buffer): Promise<string | undefined> {
    const rows: { user_id: string }[] = await this.dataSource.query(
      `SELECT user_id FROM password_reset_tokens
        WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()`,
      [tokenHash],
    );
    return rows[0]?.user_id;
  }

  /** The user's other unused tokens stop working (after a reset), in the caller's transaction. */
  async dropUnused(manager: EntityManager, userId: string): Promise<void> {
    await manager.query(
      `DELETE FROM password_reset_tokens WHERE user_id = $1 AND used_at IS NULL`,
      [userId],
    );
  }

  /**
   * Marks a valid token used and returns its user, in the caller's transaction; a used,
   * expired, superseded or unknown token returns undefined. The row lock makes a token
   * usable once even under concurrent resets.
   */
  async consume(manager: EntityManager, tokenHash: Buffer): Promise<string | undefined> {
    const rows: { user_id: string }[] = await manager.query(
      `SELECT user_id FROM password_reset_tokens
        WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
        FOR UPDATE`,
      [tokenHash],
    );
    const userId = rows[0]?.user_id;
    if (userId) {
      await manager.query(
        `UPDATE password_reset_tokens SET used_at = now() WHERE token_hash = $1`,
        [tokenHash],
      );
    }
    return userId;
  }
}
