import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The devices (browser and operating system, without versions) each account has signed in
 * from, with when they were last seen: a sign-in from one not seen for 90 days is mailed.
 */
export class KnownDevices1764330000000 implements MigrationInterface {
  name = 'KnownDevices1764330000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE user_devices (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        device varchar(200) NOT NULL,
        first_seen_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, device)
      )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE user_devices`);
  }
}
