import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The order of Stripe syncs: each takes a number from the sequence before it asks Stripe,
 * and the row keeps the number of the sync whose state it holds, so a sync that began
 * earlier (and may have read older state) never overwrites one that began later.
 */
export class StripeSyncOrder1764162000000 implements MigrationInterface {
  name = 'StripeSyncOrder1764162000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SEQUENCE subscriptions_stripe_sync_seq AS bigint`);
    await queryRunner.query(`ALTER TABLE subscriptions ADD COLUMN stripe_synced_seq bigint`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE subscriptions DROP COLUMN stripe_synced_seq`);
    await queryRunner.query(`DROP SEQUENCE subscriptions_stripe_sync_seq`);
  }
}
