import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Trials: when a billing customer was offered its one trial. Set once, by a conditional
 * update (WHERE trial_used_at IS NULL), so concurrent checkouts offer one trial; it outlives
 * a canceled subscription, so a re-subscription gets none.
 */
export class Trials1764390000000 implements MigrationInterface {
  name = 'Trials1764390000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE subscriptions ADD COLUMN trial_used_at timestamptz`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE subscriptions DROP COLUMN trial_used_at`);
  }
}
