import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { EmailCode, type EmailCodePurpose } from './email-code.entity.js';

/** The email_codes table: one live code per user and purpose. */
@Injectable()
export class EmailCodesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A new code replaces the user's previous one for the same purpose (and its tries). */
  async replace(
    code: Pick<EmailCode, 'userId' | 'purpose' | 'email' | 'codeHash' | 'expiresAt'>,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO email_codes (user_id, purpose, email, code_hash, expires_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (user_id, purpose) DO UPDATE
          SET email = EXCLUDED.email, code_hash = EXCLUDED.code_hash,
              expires_at = EXCLUDED.expires_at, failed_attempts = 0, created_at = now()`,
      [code.userId, code.purpose, code.email, code.codeHash, code.expiresAt],
    );
  }

  /** The live code, locked until the caller's transaction ends. */
  findForUpdate(
    userId: string,
    purpose: EmailCodePurpose,
    manager: EntityManager,
  ): Promise<EmailCode | null> {
    return manager
      .getRepository(EmailCode)
      .createQueryBuilder('code')
      .setLock('pessimistic_write')
      .where('code.userId = :userId AND code.purpose = :purpose', { userId, purpose })
      .getOne();
  }

  async recordFailure(userId: string, purpose: EmailCodePurpose, manager: EntityManager) {
    await manager.getRepository(EmailCode).increment({ userId, purpose }, 'failedAttempts', 1);
  }

  async delete(
    userId: string,
    purpose: EmailCodePurpose,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await manager.getRepository(EmailCode).delete({ userId, purpose });
  }
}
