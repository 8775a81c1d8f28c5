import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Daily rollups for the admin analytics: events per action per day, and the users active
 * on each day. They are maintained with every batch of events written (in the same
 * statement), so the overview reads thousands of rollup rows instead of millions of events.
 */
export class ActivityRollups1764151200000 implements MigrationInterface {
  name = 'ActivityRollups1764151200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE activity_daily_actions (
        day date NOT NULL,
        action varchar(100) NOT NULL,
        events bigint NOT NULL,
        PRIMARY KEY (day, action)
      )`);
    await queryRunner.query(`
      CREATE TABLE activity_daily_users (
        day date NOT NULL,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        PRIMARY KEY (day, user_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX activity_daily_users_user_idx ON activity_daily_users (user_id)`,
    );
    await queryRunner.query(`
      INSERT INTO activity_daily_actions (day, action, events)
      SELECT (created_at AT TIME ZONE 'UTC')::date, action, count(*) FROM user_activities GROUP BY 1, 2`);
    await queryRunner.query(`
      INSERT INTO activity_daily_users (day, user_id)
      SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date, user_id FROM user_activities WHERE user_id IS NOT NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE activity_daily_users`);
    await queryRunner.query(`DROP TABLE activity_daily_actions`);
  }
}
