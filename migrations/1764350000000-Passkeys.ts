import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Passkeys (WebAuthn credentials) and the challenges of their ceremonies. A credential is
 * found by its id (base64url, as browsers send it); its public key is kept as the COSE bytes
 * the authenticator gave. A challenge is stored server-side, single use (consumed by a
 * DELETE ... RETURNING) and short-lived; a registration challenge belongs to the signed-in
 * user who asked for it, an authentication challenge to nobody yet.
 */
export class Passkeys1764350000000 implements MigrationInterface {
  name = 'Passkeys1764350000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE passkeys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        credential_id text NOT NULL,
        public_key bytea NOT NULL,
        counter bigint NOT NULL DEFAULT 0 CHECK (counter >= 0),
        transports text[] NOT NULL DEFAULT '{}',
        device_type varchar(20) NOT NULL CHECK (device_type IN ('singleDevice', 'multiDevice')),
        backed_up boolean NOT NULL DEFAULT false,
        aaguid uuid NOT NULL,
        name varchar(100) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        CONSTRAINT passkeys_credential_id_key UNIQUE (credential_id)
      )`);
    await queryRunner.query(`CREATE INDEX passkeys_user_id_idx ON passkeys (user_id, created_at)`);
    await queryRunner.query(`
      CREATE TABLE webauthn_challenges (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        challenge text NOT NULL,
        purpose varchar(20) NOT NULL CHECK (purpose IN ('registration', 'authentication')),
        user_id uuid REFERENCES users(id) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT webauthn_challenges_challenge_key UNIQUE (challenge),
        CHECK ((purpose = 'registration') = (user_id IS NOT NULL))
      )`);
    await queryRunner.query(
      `CREATE INDEX webauthn_challenges_expires_at_idx ON webauthn_challenges (expires_at)`,
    );
    // The passkey a session was started with: removing the passkey ends those sessions.
    await queryRunner.query(
      `ALTER TABLE user_sessions ADD COLUMN passkey_id uuid REFERENCES passkeys(id) ON DELETE SET NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX user_sessions_passkey_id_idx ON user_sessions (passkey_id) WHERE passkey_id IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE user_sessions DROP COLUMN passkey_id`);
    await queryRunner.query(`DROP TABLE webauthn_challenges`);
    await queryRunner.query(`DROP TABLE passkeys`);
  }
}
