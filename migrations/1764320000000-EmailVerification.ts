import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Verified email addresses and the codes that prove them. Existing accounts stay unverified
 * until their owners verify. A user holds at most one live code per purpose; the code itself
 * is stored only as a keyed hash.
 */
export class EmailVerification1764320000000 implements MigrationInterface {
  name = 'EmailVerification1764320000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users ADD COLUMN email_verified_at timestamptz`);
    await queryRunner.query(`
      CREATE TABLE email_codes (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        purpose varchar(20) NOT NULL CHECK (purpose IN ('verify_email', 'change_email')),
        email varchar(254) NOT NULL,
        code_hash bytea NOT NULL,
        failed_attempts smallint NOT NULL DEFAULT 0,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, purpose)
      )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE email_codes`);
    await queryRunner.query(`ALTER TABLE users DROP COLUMN email_verified_at`);
  }
}
