import { Injectable, Logger } from '@nestjs/common';
import pg from 'pg';
import { AppConfig } from '../../config/app-config.js';
import { isTransientDatabaseError, sqlStateOf } from '../../database/database-errors.js';
import { sessionSettings } from '../../database/database.options.js';
import { guardClientErrors } from '../../database/pool-client-errors.js';

export const ACTIVITY_SOURCES = ['client', 'server'] as const;
export type ActivitySource = (typeof ACTIVITY_SOURCES)[number];

export interface ActivityRow {
  /** The client's id for safe retries (lower case), unique per user; not the row's id. */
  id: string | null;
  userId: string | null;
  action: string;
  resource: string | null;
  resourceId: string | null;
  metadata: Record<string, unknown> | null;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: Date;
  source: ActivitySource;
}

/** What became of a batch (rows of users erased meanwhile are in none: they are gone). */
export interface WriteOutcome {
  written: number;
  /** Rows whose id this user had already sent: stored once, answered like new ones. */
  duplicates: number;
  /** Rows PostgreSQL refused, kept in activity_dead_letters with the error. */
  deadLettered: number;
}

/**
 * Common table expressions that keep the daily rollups (events per source and action, active
 * users per day, each user's last active day) in step with the rows of an `inserted` CTE
 * returning (user_id, source, action, day). Used by the writer and by the data generator.
 */
export const ROLLUPS_OF_INSERTED = `
       actions AS (
         INSERT INTO activity_daily_actions (day, source, action, events)
         SELECT day, source, action, count(*) FROM inserted GROUP BY day, source, action
         ON CONFLICT (day, source, action) DO UPDATE SET events = activity_daily_actions.events + EXCLUDED.events
       ),
       last_active AS (
         INSERT INTO activity_user_last_active (user_id, last_day)
         SELECT user_id, max(day) FROM inserted WHERE user_id IS NOT NULL GROUP BY user_id
         ON CONFLICT (user_id) DO UPDATE SET last_day = GREATEST(activity_user_last_active.last_day, EXCLUDED.last_day)
       ),
       users AS (
         INSERT INTO activity_daily_users (day, user_id)
         SELECT DISTINCT day, user_id FROM inserted WHERE user_id IS NOT NULL
         ON CONFLICT DO NOTHING
       )`;

const UNNEST_INPUT = `
  unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::varchar[], $5::varchar[],
         $6::jsonb[], $7::inet[], $8::varchar[], $9::timestamptz[], $10::varchar[])
    AS t(id, user_id, action, resource, resource_id, metadata, ip_address, user_agent, created_at, source)`;
const LIVE_USER = `(t.user_id IS NULL OR EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id))`;
const INSERT_ACTIVITIES = `INSERT INTO user_activities (id, user_id, action, resource, resource_id, metadata, ip_address, user_agent, created_at, source)`;
const RETURNING_DAY = `RETURNING user_id, source, action, (created_at AT TIME ZONE 'UTC')::date AS day`;

/**
 * One statement per batch: the events (arrays unnested server-side) and the daily rollups of
 * exactly the rows inserted. Rows of users erased in the meantime are skipped rather than
 * failing the batch. This is the statement for batches without client ids.
 */
const INSERT_BATCH = `
  WITH inserted AS (
    ${INSERT_ACTIVITIES}
    SELECT gen_random_uuid(), t.user_id, t.action, t.resource, t.resource_id, t.metadata,
           t.ip_address, t.user_agent, t.created_at, t.source
      FROM ${UNNEST_INPUT}
     WHERE ${LIVE_USER}
    ${RETURNING_DAY}
  ),${ROLLUPS_OF_INSERTED}
  SELECT count(*)::int AS written, 0 AS duplicates FROM inserted`;

/**
 * The same with client ids: each (user, id) is claimed in activity_event_ids in the same
 * statement, and a row whose id was claimed before is skipped (a repeat, not an error). The
 * row itself gets an id of the server's: a client's id is scoped to its user, row ids are not.
 */
const INSERT_BATCH_WITH_IDS = `
  WITH input AS (
    SELECT * FROM ${UNNEST_INPUT} WHERE ${LIVE_USER}
  ),
  claimed AS (
    INSERT INTO activity_event_ids (user_id, event_id, created_at)
    SELECT user_id, id, created_at FROM input WHERE id IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING user_id, event_id
  ),
  inserted AS (
    ${INSERT_ACTIVITIES}
    SELECT gen_random_uuid(), t.user_id, t.action, t.resource, t.resource_id, t.metadata,
           t.ip_address, t.user_agent, t.created_at, t.source
      FROM input t
     WHERE t.id IS NULL OR EXISTS (SELECT 1 FROM claimed c WHERE c.user_id = t.user_id AND c.event_id = t.id)
    ${RETURNING_DAY}
  ),${ROLLUPS_OF_INSERTED}
  SELECT (SELECT count(*) FROM inserted)::int AS written,
         ((SELECT count(*) FROM input) - (SELECT count(*) FROM inserted))::int AS duplicates`;

type Query = (text: string, values?: unknown[]) => Promise<pg.QueryResult>;

/**
 * Writes batches of events through a small pool of its own (the buffer's last flush at
 * shutdown must not depend on the order in which the application's pool is closed).
 *
 * A batch is one statement. If PostgreSQL refuses it for a reason in the rows rather than in
 * the database (anything but a transient error), the batch is written again inside one
 * transaction, halving it under savepoints until each refused row stands alone; those rows go
 * to activity_dead_letters with their error. The transaction commits all of it or, if the
 * database goes away meanwhile, none of it: a caller never sees part of a batch written.
 */
@Injectable()
export class ActivityWriter {
  private readonly logger = new Logger(ActivityWriter.name);
  private readonly pool: pg.Pool;

  constructor(config: AppConfig) {
    this.pool = new pg.Pool({
      connectionString: config.database.url,
      max: 2,
      connectionTimeoutMillis: config.database.connectTimeoutMs,
      idleTimeoutMillis: config.database.idleTimeoutMs,
      ...sessionSettings(config, config.database.url),
      query_timeout: config.database.statementTimeoutMs + 1000,
      application_name: 'insightsheet-activity',
    });
    // An idle connection dropped by the server is not an error for the process, nor a held one.
    this.pool.on('error', () => undefined);
    guardClientErrors(this.pool, () => undefined);
  }

  /** Throws only transient errors (see isTransientDatabaseError), and then wrote nothing. */
  async write(rows: ActivityRow[]): Promise<WriteOutcome> {
    const unique = uniqueIds(rows);
    const repeated = rows.length - unique.length;
    try {
      return withRepeats(
        await this.insert(unique, (text, values) => this.pool.query(text, values)),
        repeated,
      );
    } catch (error) {
      if (isTransientDatabaseError(error)) throw error;
    }
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const outcome = await this.isolate(unique, (text, values) => client.query(text, values));
      await client.query('COMMIT');
      this.logger.warn({ msg: 'Activity batch held unstorable rows; set aside', ...outcome });
      return withRepeats(outcome, repeated);
    } catch (error) {
      broken = error as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release(broken);
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }

  private async insert(rows: ActivityRow[], query: Query): Promise<WriteOutcome> {
    const sql = rows.some((row) => row.id !== null) ? INSERT_BATCH_WITH_IDS : INSERT_BATCH;
    const { rows: result } = await query(sql, columnsOf(rows));
    const { written, duplicates } = result[0] as { written: number; duplicates: number };
    return { written, duplicates, deadLettered: 0 };
  }

  private async isolate(rows: ActivityRow[], query: Query): Promise<WriteOutcome> {
    await query('SAVEPOINT batch');
    try {
      const outcome = await this.insert(rows, query);
      await query('RELEASE SAVEPOINT batch');
      return outcome;
    } catch (error) {
      if (isTransientDatabaseError(error)) throw error;
      await query('ROLLBACK TO SAVEPOINT batch');
      await query('RELEASE SAVEPOINT batch');
      if (rows.length === 1) {
        await this.deadLetter(rows[0], error, query);
        return { written: 0, duplicates: 0, deadLettered: 1 };
      }
      const middle = Math.ceil(rows.length / 2);
      const first = await this.isolate(rows.slice(0, middle), query);
      const second = await this.isolate(rows.slice(middle), query);
      return {
        written: first.written + second.written,
        duplicates: first.duplicates + second.duplicates,
        deadLettered: first.deadLettered + second.deadLettered,
      };
    }
  }

  private async deadLetter(row: ActivityRow, error: unknown, query: Query): Promise<void> {
    const code = sqlStateOf(error) ?? null;
    const message = error instanceof Error ? error.message : String(error);
    // JSON.stringify escapes NUL and lone surrogates, so the text itself is always storable.
    // Tied to its user, so that erasure removes it too (a user erased meanwhile: not kept).
    await query(
      `INSERT INTO activity_dead_letters (user_id, error_code, error, event)
       SELECT $1::uuid, $2, $3, $4 WHERE $1::uuid IS NULL OR EXISTS (SELECT 1 FROM users WHERE id = $1::uuid)`,
      [row.userId, code, message, JSON.stringify(row)],
    );
    this.logger.error({
      msg: 'Activity event refused by the database; kept in activity_dead_letters',
      code,
      error: message,
      action: row.action,
      source: row.source,
    });
  }
}

/** A repeated (user, id) within one batch is stored once, like a repeat across batches. */
function uniqueIds(rows: ActivityRow[]): ActivityRow[] {
  if (!rows.some((row) => row.id !== null)) return rows;
  const seen = new Set<string>();
  return rows.filter((row) => {
    if (row.id === null) return true;
    const key = `${row.userId}/${row.id}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function withRepeats(outcome: WriteOutcome, repeated: number): WriteOutcome {
  return { ...outcome, duplicates: outcome.duplicates + repeated };
}

function columnsOf(rows: ActivityRow[]): unknown[] {
  const columns: unknown[][] = Array.from({ length: 10 }, () => []);
  for (const row of rows) {
    columns[0].push(row.id);
    columns[1].push(row.userId);
    columns[2].push(row.action);
    columns[3].push(row.resource);
    columns[4].push(row.resourceId);
    columns[5].push(row.metadata === null ? null : JSON.stringify(row.metadata));
    columns[6].push(row.ipAddress);
    columns[7].push(row.userAgent);
    columns[8].push(row.createdAt);
    columns[9].push(row.source);
  }
  return columns;
}
