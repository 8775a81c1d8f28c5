import { MigrationInterface, QueryRunner } from 'typeorm';

/** The server's own event names before this migration: they become `source = 'server'`. */
const SERVER_PREFIXES = [
  'auth.',
  'user.',
  'billing.',
  'subscription.',
  'workspace.',
  'admin.',
  'system.',
];
const SERVER_ACTION = `action ~ '^(${SERVER_PREFIXES.map((prefix) => prefix.replace('.', '\\.')).join('|')})'`;

/**
 * Every event says who recorded it (`source`: the web app or the server), also in the daily
 * action counts so analytics can tell them apart. Client event ids (for safe retries) are
 * claimed in activity_event_ids, keyed by user: a repeated id is stored once. A row that
 * PostgreSQL refuses goes to activity_dead_letters with the error, instead of blocking the
 * rows written with it; its JSON is kept as text, since the reason it failed may be that
 * jsonb cannot hold it. Both are tied to their user, so erasure takes them along.
 */
export class ActivitySourceAndDeadLetters1764158400000 implements MigrationInterface {
  name = 'ActivitySourceAndDeadLetters1764158400000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE user_activities ADD COLUMN source varchar(6) NOT NULL DEFAULT 'client'
         CONSTRAINT user_activities_source_check CHECK (source IN ('client', 'server'))`,
    );
    await queryRunner.query(`UPDATE user_activities SET source = 'server' WHERE ${SERVER_ACTION}`);

    await queryRunner.query(
      `ALTER TABLE activity_daily_actions ADD COLUMN source varchar(6) NOT NULL DEFAULT 'client'`,
    );
    await queryRunner.query(
      `UPDATE activity_daily_actions SET source = 'server' WHERE ${SERVER_ACTION}`,
    );
    await queryRunner.query(
      `ALTER TABLE activity_daily_actions DROP CONSTRAINT activity_daily_actions_pkey`,
    );
    await queryRunner.query(
      `ALTER TABLE activity_daily_actions ADD PRIMARY KEY (day, source, action)`,
    );

    await queryRunner.query(`
      CREATE TABLE activity_event_ids (
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        event_id uuid NOT NULL,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (user_id, event_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX activity_event_ids_created_at_idx ON activity_event_ids (created_at)`,
    );

    await queryRunner.query(`
      CREATE TABLE activity_dead_letters (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id uuid REFERENCES users (id) ON DELETE CASCADE,
        failed_at timestamptz NOT NULL DEFAULT now(),
        error_code varchar(5),
        error text NOT NULL,
        event text NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX activity_dead_letters_user_idx ON activity_dead_letters (user_id)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE activity_dead_letters`);
    await queryRunner.query(`DROP TABLE activity_event_ids`);
    // Counts of one action from both sources merge back into one row.
    await queryRunner.query(`
      CREATE TEMPORARY TABLE merged_actions AS
        SELECT day, action, sum(events)::bigint AS events FROM activity_daily_actions GROUP BY day, action`);
    await queryRunner.query(`DELETE FROM activity_daily_actions`);
    await queryRunner.query(
      `ALTER TABLE activity_daily_actions DROP CONSTRAINT activity_daily_actions_pkey`,
    );
    await queryRunner.query(`ALTER TABLE activity_daily_actions DROP COLUMN source`);
    await queryRunner.query(`ALTER TABLE activity_daily_actions ADD PRIMARY KEY (day, action)`);
    await queryRunner.query(
      `INSERT INTO activity_daily_actions (day, action, events) SELECT day, action, events FROM merged_actions`,
    );
    await queryRunner.query(`DROP TABLE merged_actions`);
    await queryRunner.query(`ALTER TABLE user_activities DROP COLUMN source`);
  }
}
