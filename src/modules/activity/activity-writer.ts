import pg from 'pg';
import type { AppConfig } from '../../config/app-config.js';

export interface ActivityRow {
  userId: string | null;
  action: string;
  resource: string | null;
  resourceId: string | null;
  metadata: Record<string, unknown> | null;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: Date;
}

/**
 * Common table expressions that keep the daily rollups (events per action, active users per
 * day, each user's last active day) in step with the rows of an `inserted` CTE returning
 * (user_id, action, day). Used by the writer and by the data generator.
 */
export const ROLLUPS_OF_INSERTED = `
       actions AS (
         INSERT INTO activity_daily_actions (day, action, events)
         SELECT day, action, count(*) FROM inserted GROUP BY day, action
         ON CONFLICT (day, action) DO UPDATE SET events = activity_daily_actions.events + EXCLUDED.events
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

/**
 * Writes buffered events with one multi-row INSERT per batch (arrays unnested server-side),
 * through a small pool of its own: the buffer's last flush at shutdown must not depend on
 * the order in which the application's pool is closed. Rows of users erased in the meantime
 * are skipped rather than failing the batch.
 */
export class ActivityWriter {
  private readonly pool: pg.Pool;

  constructor(config: AppConfig, url: string) {
    this.pool = new pg.Pool({
      connectionString: url,
      max: 2,
      connectionTimeoutMillis: config.database.connectTimeoutMs,
      idleTimeoutMillis: config.database.idleTimeoutMs,
      statement_timeout: config.database.statementTimeoutMs,
      query_timeout: config.database.statementTimeoutMs + 1000,
      application_name: 'insightsheet-activity',
    });
    // An idle connection dropped by the server is not an error for the process.
    this.pool.on('error', () => undefined);
  }

  async insert(rows: ActivityRow[]): Promise<number> {
    const columns = {
      user: [] as (string | null)[],
      action: [] as string[],
      resource: [] as (string | null)[],
      resourceId: [] as (string | null)[],
      metadata: [] as (string | null)[],
      ip: [] as (string | null)[],
      agent: [] as (string | null)[],
      at: [] as Date[],
    };
    for (const row of rows) {
      columns.user.push(row.userId);
      columns.action.push(row.action);
      columns.resource.push(row.resource);
      columns.resourceId.push(row.resourceId);
      columns.metadata.push(row.metadata === null ? null : JSON.stringify(row.metadata));
      columns.ip.push(row.ipAddress);
      columns.agent.push(row.userAgent);
      columns.at.push(row.createdAt);
    }
    // One statement: the events, and the daily rollups of exactly the rows inserted.
    const result = await this.pool.query(
      `WITH inserted AS (
         INSERT INTO user_activities (user_id, action, resource, resource_id, metadata, ip_address, user_agent, created_at)
         SELECT t.user_id, t.action, t.resource, t.resource_id, t.metadata, t.ip_address, t.user_agent, t.created_at
           FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::varchar[], $5::jsonb[], $6::inet[], $7::varchar[], $8::timestamptz[])
                AS t(user_id, action, resource, resource_id, metadata, ip_address, user_agent, created_at)
          WHERE t.user_id IS NULL OR EXISTS (SELECT 1 FROM users u WHERE u.id = t.user_id)
         RETURNING user_id, action, (created_at AT TIME ZONE 'UTC')::date AS day
       ),${ROLLUPS_OF_INSERTED}
       SELECT count(*)::int AS written FROM inserted`,
      [
        columns.user,
        columns.action,
        columns.resource,
        columns.resourceId,
        columns.metadata,
        columns.ip,
        columns.agent,
        columns.at,
      ],
    );
    return (result.rows[0] as { written: number }).written;
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
