import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sessions and rotating refresh tokens, password-reset tokens, and the per-user token
 * version that revokes every access token at once. Tokens are stored only as SHA-256 hashes.
 */
export class AuthSessions1764140400000 implements MigrationInterface {
  name = 'AuthSessions1764140400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0`,
    );

    await queryRunner.query(`
      CREATE TABLE user_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        user_agent varchar(512),
        ip_address inet,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoked_reason varchar(40)
      )`);
    await queryRunner.query(`CREATE INDEX user_sessions_user_idx ON user_sessions (user_id)`);
    await queryRunner.query(`CREATE INDEX user_sessions_expires_idx ON user_sessions (expires_at)`);

    await queryRunner.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES user_sessions (id) ON DELETE CASCADE,
        token_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        rotated_at timestamptz,
        successor_ciphertext bytea,
        CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash)
      )`);
    await queryRunner.query(
      `CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id)`,
    );

    await queryRunner.query(`
      CREATE TABLE password_reset_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        token_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        CONSTRAINT password_reset_tokens_token_hash_key UNIQUE (token_hash)
      )`);
    await queryRunner.query(
      `CREATE INDEX password_reset_tokens_user_idx ON password_reset_tokens (user_id)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE password_reset_tokens`);
    await queryRunner.query(`DROP TABLE refresh_tokens`);
    await queryRunner.query(`DROP TABLE user_sessions`);
    await queryRunner.query(`ALTER TABLE users DROP COLUMN token_version`);
  }
}
