import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A subscription belongs to a user or to a workspace (per-seat Business billing): the row
 * holds exactly one of the two, and `seats` the quantity Stripe bills. `subscription_changes`
 * records what changed a subscription and when (a Stripe event, an administrator's grant),
 * the customer's billing timeline. The `billing.workspace-seats` queue carries seat updates
 * to Stripe; its `short` policy keeps at most one waiting job per workspace (the job reads
 * the member count when it runs, so one waiting job covers any number of changes).
 */
export class WorkspaceBilling1764380000000 implements MigrationInterface {
  name = 'WorkspaceBilling1764380000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE subscriptions ALTER COLUMN user_id DROP NOT NULL`);
    await queryRunner.query(`
      ALTER TABLE subscriptions
        ADD COLUMN workspace_id uuid REFERENCES workspaces (id) ON DELETE CASCADE,
        ADD COLUMN seats integer,
        ADD CONSTRAINT subscriptions_workspace_id_key UNIQUE (workspace_id),
        ADD CONSTRAINT subscriptions_owner_check CHECK (num_nonnulls(user_id, workspace_id) = 1),
        ADD CONSTRAINT subscriptions_seats_check CHECK (seats IS NULL OR seats >= 0)`);
    await queryRunner.query(`
      CREATE TABLE subscription_changes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        subscription_id uuid NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
        occurred_at timestamptz NOT NULL,
        cause varchar(20) NOT NULL,
        stripe_event_id varchar(255),
        stripe_event_type varchar(100),
        actor_id uuid,
        from_plan varchar(50) NOT NULL,
        to_plan varchar(50) NOT NULL,
        from_status varchar(50) NOT NULL,
        to_status varchar(50) NOT NULL,
        detail jsonb NOT NULL DEFAULT '{}'::jsonb,
        CONSTRAINT subscription_changes_cause_check CHECK (cause IN ('stripe', 'manual'))
      )`);
    await queryRunner.query(
      `CREATE INDEX subscription_changes_subscription_idx ON subscription_changes (subscription_id, occurred_at DESC, id DESC)`,
    );
    await queryRunner.query(`SELECT pgboss.create_queue($1, $2)`, [
      'billing.workspace-seats',
      JSON.stringify({ policy: 'short' }),
    ]);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`SELECT pgboss.delete_queue($1)`, ['billing.workspace-seats']);
    await queryRunner.query(`DROP TABLE subscription_changes`);
    await queryRunner.query(`DELETE FROM subscriptions WHERE workspace_id IS NOT NULL`);
    await queryRunner.query(`
      ALTER TABLE subscriptions
        DROP CONSTRAINT subscriptions_seats_check,
        DROP CONSTRAINT subscriptions_owner_check,
        DROP COLUMN seats,
        DROP COLUMN workspace_id`);
    await queryRunner.query(`ALTER TABLE subscriptions ALTER COLUMN user_id SET NOT NULL`);
  }
}
