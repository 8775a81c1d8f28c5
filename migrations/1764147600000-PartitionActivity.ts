import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * user_activities becomes a table partitioned by month on created_at, so years of events
 * stay fast to write and to query, and retention drops whole partitions instead of deleting
 * rows. ensure_activity_partitions() creates the months ahead (the app calls it hourly);
 * the seed's indexes are declared on the parent and so exist on every partition.
 */
export class PartitionActivity1764147600000 implements MigrationInterface {
  name = 'PartitionActivity1764147600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE user_activities RENAME TO user_activities_unpartitioned`);
    await queryRunner.query(
      `ALTER INDEX user_activities_user_created_idx RENAME TO user_activities_unpartitioned_user_idx`,
    );
    await queryRunner.query(
      `ALTER INDEX user_activities_created_at_idx RENAME TO user_activities_unpartitioned_created_idx`,
    );
    await queryRunner.query(`
      CREATE TABLE user_activities (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        user_id uuid REFERENCES users (id) ON DELETE CASCADE,
        action varchar(100) NOT NULL,
        resource varchar(100),
        resource_id varchar(255),
        metadata jsonb,
        ip_address inet,
        user_agent varchar(512),
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (created_at, id)
      ) PARTITION BY RANGE (created_at)`);
    await queryRunner.query(
      `CREATE INDEX user_activities_user_created_idx ON user_activities (user_id, created_at DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX user_activities_created_at_idx ON user_activities (created_at DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX user_activities_action_created_idx ON user_activities (action, created_at DESC)`,
    );

    await queryRunner.query(`
      CREATE FUNCTION ensure_activity_partitions(first_month date, months integer) RETURNS integer
      LANGUAGE plpgsql AS $$
      DECLARE
        month date := date_trunc('month', first_month)::date;
        created integer := 0;
        name text;
      BEGIN
        FOR i IN 1..months LOOP
          name := format('user_activities_%s', to_char(month, 'YYYY_MM'));
          IF to_regclass(name) IS NULL THEN
            -- Month boundaries in UTC, whatever the session's time zone.
            EXECUTE format(
              'CREATE TABLE %I PARTITION OF user_activities FOR VALUES FROM (%L) TO (%L)',
              name, month::text || ' 00:00:00+00', (month + interval '1 month')::date::text || ' 00:00:00+00');
            created := created + 1;
          END IF;
          month := (month + interval '1 month')::date;
        END LOOP;
        RETURN created;
      END
      $$`);
    // Months from the oldest existing event (or this month) up to three months ahead.
    const [{ first }] = (await queryRunner.query(
      `SELECT to_char(date_trunc('month', least(coalesce(min(created_at), now()), now()) AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS first
         FROM user_activities_unpartitioned`,
    )) as { first: string }[];
    const start = new Date(`${first}T00:00:00Z`);
    const now = new Date();
    const months =
      (now.getUTCFullYear() - start.getUTCFullYear()) * 12 +
      now.getUTCMonth() -
      start.getUTCMonth() +
      4;
    await queryRunner.query(`SELECT ensure_activity_partitions($1::date, $2)`, [first, months]);
    await queryRunner.query(`
      INSERT INTO user_activities (id, user_id, action, resource, resource_id, metadata, ip_address, user_agent, created_at)
      SELECT id, user_id, action, resource, resource_id, metadata, ip_address, user_agent, created_at
        FROM user_activities_unpartitioned`);
    await queryRunner.query(`DROP TABLE user_activities_unpartitioned`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE user_activities RENAME TO user_activities_partitioned`);
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
    await queryRunner.query(`
      INSERT INTO user_activities SELECT id, user_id, action, resource, resource_id, metadata, ip_address, user_agent, created_at
        FROM user_activities_partitioned`);
    await queryRunner.query(`DROP TABLE user_activities_partitioned`);
    await queryRunner.query(`DROP FUNCTION ensure_activity_partitions(date, integer)`);
    await queryRunner.query(
      `CREATE INDEX user_activities_user_created_idx ON user_activities (user_id, created_at DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX user_activities_created_at_idx ON user_activities (created_at DESC)`,
    );
  }
}
