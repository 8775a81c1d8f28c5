import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The seed's three tables, corrected: core gen_random_uuid() ids, timestamptz, a
 * case-insensitive unique email, one subscription per user, updated_at kept by a trigger,
 * and a plain created_at index in place of the seed's NOW()-based partial index, which
 * PostgreSQL rejects because NOW() is not immutable.
 */
export class InitialSchema1764136800000 implements MigrationInterface {
  name = 'InitialSchema1764136800000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.updated_at := now();
        RETURN NEW;
      END
      $$`);

    await queryRunner.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email varchar(254) NOT NULL,
        password_hash text NOT NULL,
        name varchar(100) NOT NULL,
        role varchar(20) NOT NULL DEFAULT 'user',
        is_active boolean NOT NULL DEFAULT true,
        last_login timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_role_check CHECK (role IN ('user', 'admin')),
        CONSTRAINT users_email_normalised_check CHECK (email = lower(btrim(email)))
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))`);
    await queryRunner.query(`CREATE INDEX users_created_at_idx ON users (created_at)`);
    await queryRunner.query(
      `CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION set_updated_at()`,
    );

    await queryRunner.query(`
      CREATE TABLE subscriptions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        plan varchar(50) NOT NULL DEFAULT 'free',
        status varchar(50) NOT NULL DEFAULT 'active',
        stripe_customer_id varchar(255),
        stripe_subscription_id varchar(255),
        current_period_start timestamptz,
        current_period_end timestamptz,
        cancel_at_period_end boolean NOT NULL DEFAULT false,
        features jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT subscriptions_user_id_key UNIQUE (user_id),
        CONSTRAINT subscriptions_stripe_customer_id_key UNIQUE (stripe_customer_id),
        CONSTRAINT subscriptions_stripe_subscription_id_key UNIQUE (stripe_subscription_id),
        CONSTRAINT subscriptions_plan_check CHECK (plan IN ('free', 'pro', 'business')),
        CONSTRAINT subscriptions_status_check CHECK (status IN (
          'active', 'trialing', 'past_due', 'incomplete', 'incomplete_expired',
          'unpaid', 'canceled', 'paused'))
      )`);
    await queryRunner.query(
      `CREATE INDEX subscriptions_status_period_end_idx ON subscriptions (status, current_period_end)`,
    );
    await queryRunner.query(
      `CREATE TRIGGER subscriptions_set_updated_at BEFORE UPDATE ON subscriptions FOR EACH ROW EXECUTE FUNCTION set_updated_at()`,
    );

    await queryRunner.query(`
      CREATE TABLE user_activities (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid REFERENCES users (id) ON DELETE CASCADE,
        action varchar(100) NOT NULL,
        resource varchar(100),
        resource_id varchar(255),
        metadata jsonb,
        ip_address inet,
        user_agent varchar(512),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX user_activities_user_created_idx ON user_activities (user_id, created_at DESC)`,
    );
    // Serves "recent activity" (created_at > now() - interval '30 days') as a range scan.
    await queryRunner.query(
      `CREATE INDEX user_activities_created_at_idx ON user_activities (created_at DESC)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE user_activities`);
    await queryRunner.query(`DROP TABLE subscriptions`);
    await queryRunner.query(`DROP TABLE users`);
    await queryRunner.query(`DROP FUNCTION set_updated_at()`);
  }
}
