import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Social sign-in: the identities (an OpenID provider's issuer and subject) linked to each
 * account, and the pending authorization requests (state, nonce and PKCE verifier, kept
 * server-side so that any instance can finish a sign-in another one started).
 */
export class SocialSignIn1764360000000 implements MigrationInterface {
  name = 'SocialSignIn1764360000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE user_identities (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        provider varchar(31) NOT NULL,
        issuer text NOT NULL,
        subject varchar(255) NOT NULL,
        email varchar(254),
        email_verified boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        CONSTRAINT user_identities_issuer_subject UNIQUE (issuer, subject)
      )`);
    await queryRunner.query(`CREATE INDEX user_identities_user_id ON user_identities (user_id)`);
    await queryRunner.query(`
      CREATE TABLE oidc_states (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        state_hash bytea NOT NULL UNIQUE,
        provider varchar(31) NOT NULL,
        purpose varchar(10) NOT NULL CHECK (purpose IN ('signin', 'link')),
        user_id uuid REFERENCES users(id) ON DELETE CASCADE,
        redirect_uri text NOT NULL,
        sealed_checks bytea NOT NULL,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((purpose = 'link') = (user_id IS NOT NULL))
      )`);
    await queryRunner.query(`CREATE INDEX oidc_states_expires_at ON oidc_states (expires_at)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE oidc_states`);
    await queryRunner.query(`DROP TABLE user_identities`);
  }
}
