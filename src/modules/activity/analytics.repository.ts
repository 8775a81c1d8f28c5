import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

export interface Overview {
  users: { total: number; new: number };
  activeUsers: { dau: number; wau: number; mau: number };
  planMix: { plan: string; users: number }[];
  signupsPerDay: { day: string; signups: number }[];
  topActions: { action: string; events: number }[];
}

/**
 * The admin overview from the daily rollups (never the raw events), through TypeORM's read
 * ("slave") connection: the primary until read replicas are configured. Days are UTC dates.
 */
@Injectable()
export class AnalyticsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async overview(from: string, to: string): Promise<Overview> {
    const runner = this.dataSource.createQueryRunner('slave');
    try {
      const query = <T>(sql: string, parameters: unknown[]) =>
        runner.query(sql, parameters) as Promise<T[]>;
      const [users, active, planMix, signups, topActions] = await Promise.all([
        query<{ total: number; new: number }>(
          `SELECT count(*)::int AS total,
                  count(*) FILTER (WHERE (created_at AT TIME ZONE 'UTC')::date BETWEEN $1::date AND $2::date)::int AS new
             FROM users`,
          [from, to],
        ),
        query<{ dau: number; wau: number; mau: number }>(
          `SELECT count(DISTINCT user_id) FILTER (WHERE day = $1::date)::int AS dau,
                  count(DISTINCT user_id) FILTER (WHERE day > $1::date - 7)::int AS wau,
                  count(DISTINCT user_id)::int AS mau
             FROM activity_daily_users
            WHERE day > $1::date - 30 AND day <= $1::date`,
          [to],
        ),
        query<{ plan: string; users: number }>(
          `SELECT coalesce(features->>'plan', plan) AS plan, count(*)::int AS users
             FROM subscriptions GROUP BY 1 ORDER BY 2 DESC, 1`,
          [],
        ),
        query<{ day: string; signups: number }>(
          `SELECT to_char(d.day, 'YYYY-MM-DD') AS day, count(u.id)::int AS signups
             FROM generate_series($1::date, $2::date, interval '1 day') AS d(day)
             LEFT JOIN users u
               ON u.created_at >= d.day AT TIME ZONE 'UTC' AND u.created_at < (d.day + interval '1 day') AT TIME ZONE 'UTC'
            GROUP BY d.day ORDER BY d.day`,
          [from, to],
        ),
        query<{ action: string; events: number }>(
          `SELECT action, sum(events)::bigint::float8 AS events
             FROM activity_daily_actions WHERE day BETWEEN $1::date AND $2::date
            GROUP BY action ORDER BY sum(events) DESC, action LIMIT 10`,
          [from, to],
        ),
      ]);
      return {
        users: users[0],
        activeUsers: active[0],
        planMix,
        signupsPerDay: signups,
        topActions: topActions.map((row) => ({ action: row.action, events: Number(row.events) })),
      };
    } finally {
      await runner.release();
    }
  }
}
