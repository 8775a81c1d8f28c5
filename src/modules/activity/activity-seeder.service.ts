import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ROLLUPS_OF_INSERTED } from './activity-writer.js';
import { SERVER_NAMESPACES } from './dto/activity.dto.js';

const ACTIONS = [
  ['sheet.opened', 30],
  ['sheet.analysed', 22],
  ['chart.rendered', 15],
  ['cell.edited', 10],
  ['filter.applied', 8],
  ['pivot.created', 5],
  ['export.csv', 4],
  ['ai.insight_requested', 3],
  ['dashboard.saved', 2],
  ['auth.login', 1],
] as const;

const CHUNK = 100_000;

export interface SeedReport {
  users: number;
  events: number;
  ms: number;
}

/**
 * Realistic data, fast, for benchmarks and analytics checks: users with a plan mix (70% free,
 * 25% pro, 5% business) who signed up over the period, and events generated inside
 * PostgreSQL (generate_series; nothing crosses the wire) with a skewed activity per user and
 * a weighted mix of actions, written with their daily rollups. Seeded users cannot sign in.
 */
@Injectable()
export class ActivitySeeder {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async seed(users: number, events: number, days: number): Promise<SeedReport> {
    const started = Date.now();
    const run = randomBytes(4).toString('hex');
    await this.dataSource.query(
      `SELECT ensure_activity_partitions((now() - make_interval(days => $1))::date, $2)`,
      [days, Math.ceil(days / 28) + 2],
    );
    const ids: { id: string }[] = await this.dataSource.query(
      `INSERT INTO users (email, password_hash, name, created_at)
       SELECT 'seed-' || $1 || '-' || i || '@example.com', '!seeded-account-cannot-sign-in', 'Seeded user ' || i,
              now() - random() * make_interval(days => $3)
         FROM generate_series(1, $2) AS i
       RETURNING id`,
      [run, users, days],
    );
    await this.dataSource.query(
      `INSERT INTO subscriptions (user_id, plan, status, features)
       SELECT id, p.plan, 'active', jsonb_build_object('plan', p.plan, 'source', CASE WHEN p.plan = 'free' THEN 'free' ELSE 'stripe' END)
         FROM (SELECT id, CASE WHEN r < 0.70 THEN 'free' WHEN r < 0.95 THEN 'pro' ELSE 'business' END AS plan
                 FROM (SELECT id, random() AS r FROM unnest($1::uuid[]) AS id) AS x) AS p`,
      [ids.map((row) => row.id)],
    );
    const actions = ACTIONS.flatMap(([action, weight]) => Array<string>(weight).fill(action));
    for (let done = 0; done < events; done += CHUNK) {
      const size = Math.min(CHUNK, events - done);
      // Chunks are sized to stay well inside the client's query timeout; the server's
      // statement timeout does not apply to generation.
      await this.dataSource.transaction(async (manager) => {
        await manager.query(`SET LOCAL statement_timeout = 0`);
        await manager.query(
          `WITH seeded AS (SELECT array_agg(id) AS ids FROM users WHERE email LIKE 'seed-' || $1 || '-%'),
         generated AS (
           SELECT s.ids[1 + floor(power(random(), 2) * array_length(s.ids, 1))::int] AS user_id,
                  ($2::text[])[1 + floor(random() * array_length($2::text[], 1))::int] AS action
             FROM seeded AS s, generate_series(1, $3)
         ),
         inserted AS (
           INSERT INTO user_activities (user_id, action, resource, metadata, ip_address, user_agent, created_at, source)
           SELECT user_id, action,
                  'sheet', jsonb_build_object('rows', floor(random() * 100000)::int),
                  ('10.' || floor(random() * 255)::int || '.' || floor(random() * 255)::int || '.1')::inet,
                  'seed-agent/1.0',
                  now() - random() * make_interval(days => $4),
                  CASE WHEN action LIKE ANY ($5::text[]) THEN 'server' ELSE 'client' END
             FROM generated
           RETURNING user_id, source, action, (created_at AT TIME ZONE 'UTC')::date AS day
         ),${ROLLUPS_OF_INSERTED}
         SELECT count(*) FROM inserted`,
          [run, actions, size, days, SERVER_NAMESPACES.map((prefix) => `${prefix}%`)],
        );
      });
    }
    return { users, events, ms: Date.now() - started };
  }
}
