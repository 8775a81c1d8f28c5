import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Billing state kept beside the seed's subscription columns (the Stripe price, and a manual
 * grant that a Stripe event cannot silently undo), the webhook inbox that makes every
 * event apply once, and the metered usage counters.
 */
export class BillingAndUsage1764144000000 implements MigrationInterface {
  name = 'BillingAndUsage1764144000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE subscriptions
        ADD COLUMN stripe_price_id varchar(255),
        ADD COLUMN manual_plan varchar(50),
        ADD COLUMN manual_until timestamptz,
        ADD COLUMN manual_granted_by uuid,
        ADD COLUMN manual_granted_at timestamptz,
        ADD CONSTRAINT subscriptions_manual_plan_check CHECK (manual_plan IN ('free', 'pro', 'business'))`);

    await queryRunner.query(`
      CREATE TABLE stripe_events (
        id varchar(255) PRIMARY KEY,
        type varchar(255) NOT NULL,
        created_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        user_id uuid
      )`);
    await queryRunner.query(
      `CREATE INDEX stripe_events_received_idx ON stripe_events (received_at)`,
    );

    await queryRunner.query(`
      CREATE TABLE usage_counters (
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        feature varchar(50) NOT NULL,
        period_start timestamptz NOT NULL,
        used integer NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, feature, period_start),
        CONSTRAINT usage_counters_used_check CHECK (used >= 0)
      )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE usage_counters`);
    await queryRunner.query(`DROP TABLE stripe_events`);
    await queryRunner.query(`
      ALTER TABLE subscriptions
        DROP CONSTRAINT subscriptions_manual_plan_check,
        DROP COLUMN manual_granted_at,
        DROP COLUMN manual_granted_by,
        DROP COLUMN manual_until,
        DROP COLUMN manual_plan,
        DROP COLUMN stripe_price_id`);
  }
}
