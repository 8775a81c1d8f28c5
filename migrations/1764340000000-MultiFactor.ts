import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Second factors: a TOTP authenticator per account (its secret encrypted, the last time step
 * used so a code is accepted once), hashed single-use recovery codes, and the challenges that
 * stand between a correct password and a session when MFA is on. Sessions record how they
 * were authenticated (amr, as OpenID Connect names it). A password becomes optional: an
 * account may sign in by passkey (or, later, a social identity) alone.
 */
export class MultiFactor1764340000000 implements MigrationInterface {
  name = 'MultiFactor1764340000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL`);
    await queryRunner.query(
      `ALTER TABLE user_sessions ADD COLUMN amr text[] NOT NULL DEFAULT '{pwd}'`,
    );
    await queryRunner.query(`
      CREATE TABLE user_totp (
        user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        secret_ciphertext bytea NOT NULL,
        confirmed_at timestamptz,
        last_used_step bigint,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE mfa_recovery_codes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        code_hash bytea NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT mfa_recovery_codes_user_code UNIQUE (user_id, code_hash)
      )`);
    await queryRunner.query(`
      CREATE TABLE mfa_challenges (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash bytea NOT NULL UNIQUE,
        amr text[] NOT NULL,
        user_agent varchar(512),
        failed_attempts integer NOT NULL DEFAULT 0,
        attempt_until timestamptz,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX mfa_challenges_user ON mfa_challenges (user_id)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE mfa_challenges`);
    await queryRunner.query(`DROP TABLE mfa_recovery_codes`);
    await queryRunner.query(`DROP TABLE user_totp`);
    await queryRunner.query(`ALTER TABLE user_sessions DROP COLUMN amr`);
    await queryRunner.query(`DELETE FROM users WHERE password_hash IS NULL`);
    await queryRunner.query(`ALTER TABLE users ALTER COLUMN password_hash SET NOT NULL`);
  }
}
