import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Active-user counts without counting distinct users over millions of rows at request time:
 * each user's last active day (kept by the writer with every batch) answers DAU/WAU/MAU as of
 * today with one index range count, and the counts as of a finished day are computed once and
 * kept, since a finished day no longer changes.
 */
export class ActiveUserCounts1764154800000 implements MigrationInterface {
  name = 'ActiveUserCounts1764154800000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE activity_user_last_active (
        user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        last_day date NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX activity_user_last_active_day_idx ON activity_user_last_active (last_day)`,
    );
    await queryRunner.query(`
      INSERT INTO activity_user_last_active (user_id, last_day)
      SELECT user_id, max(day) FROM activity_daily_users GROUP BY user_id`);
    await queryRunner.query(`
      CREATE TABLE activity_daily_active (
        day date PRIMARY KEY,
        dau integer NOT NULL,
        wau integer NOT NULL,
        mau integer NOT NULL,
        computed_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE activity_daily_active`);
    await queryRunner.query(`DROP TABLE activity_user_last_active`);
  }
}
