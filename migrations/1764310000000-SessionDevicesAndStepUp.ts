import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When each session's user last proved who they are (the `auth_time` of its access tokens,
 * renewed by reauthentication), and whether the session was established with a second factor.
 * Existing sessions were authenticated when they were created, with a password alone.
 * `authenticated_at` keeps a default so that an instance of the previous release, still
 * serving while this runs, can go on creating sessions.
 */
export class SessionDevicesAndStepUp1764310000000 implements MigrationInterface {
  name = 'SessionDevicesAndStepUp1764310000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE user_sessions
         ADD COLUMN authenticated_at timestamptz NOT NULL DEFAULT now(),
         ADD COLUMN mfa boolean NOT NULL DEFAULT false`,
    );
    await queryRunner.query(`UPDATE user_sessions SET authenticated_at = created_at`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE user_sessions DROP COLUMN mfa, DROP COLUMN authenticated_at`,
    );
  }
}
