import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { ActivitySource } from './activity-writer.js';
import { ReadRouter, type ReadQuery } from '../../database/read-router.service.js';

export interface Overview {
  users: { total: number; new: number };
  activeUsers: { dau: number; wau: number; mau: number };
  activeUsersPerDay: ({ day: string } & ActiveUsers)[];
  planMix: { plan: string; users: number }[];
  signupsPerDay: { day: string; signups: number }[];
  topActions: { action: string; source: ActivitySource; events: number }[];
}

export interface ActiveUsers {
  dau: number;
  wau: number;
  mau: number;
}

/** Counting distinct users over the daily rollup: exact, but heavy on a large base. */
const COUNT_ACTIVE_AS_OF = `
  SELECT count(DISTINCT user_id) FILTER (WHERE day = $1::date)::int AS dau,
         count(DISTINCT user_id) FILTER (WHERE day > $1::date - 7)::int AS wau,
         count(DISTINCT user_id)::int AS mau
    FROM activity_daily_users
   WHERE day > $1::date - 30 AND day <= $1::date`;

/** A finished day is counted once it cannot change any more (late flushes included). */
const SETTLED_AFTER_MS = 2 * 3_600_000;

const utcToday = () => new Date().toISOString().slice(0, 10);

/**
 * The admin overview from the daily rollups (never the raw events), read from a replica when
 * one is usable (ReadRouter). Days are UTC dates.
 */
@Injectable()
export class AnalyticsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly router: ReadRouter,
  ) {}

  /**
   * DAU, WAU and MAU as of a day. As of today (or later): from each user's last active day,
   * one index range count. As of a finished day: the counts stored for it, computed from the
   * daily rollup once the day has settled and kept, since it no longer changes.
   */
  async activeUsers(day: string, query: ReadQuery): Promise<ActiveUsers> {
    if (day >= utcToday()) {
      const [row] = await query<ActiveUsers>(
        `SELECT count(*) FILTER (WHERE last_day = $1::date)::int AS dau,
                count(*) FILTER (WHERE last_day > $1::date - 7)::int AS wau,
                count(*)::int AS mau
           FROM activity_user_last_active WHERE last_day > $1::date - 30`,
        [utcToday()],
      );
      return row;
    }
    const [stored] = await query<ActiveUsers>(
      `SELECT dau, wau, mau FROM activity_daily_active WHERE day = $1::date`,
      [day],
    );
    if (stored) return stored;
    const [counted] = await query<ActiveUsers>(COUNT_ACTIVE_AS_OF, [day]);
    if (Date.now() > Date.parse(`${day}T00:00:00Z`) + 86_400_000 + SETTLED_AFTER_MS) {
      await this.store(day, counted);
    }
    return counted;
  }

  /** Counts and stores the finished days that have settled and are not stored yet (at most `limit`). */
  async settleDays(limit: number): Promise<number> {
    const days = (await this.dataSource.query(
      `SELECT to_char(d.day, 'YYYY-MM-DD') AS day
         FROM (SELECT DISTINCT day FROM activity_daily_users) AS d
         LEFT JOIN activity_daily_active a ON a.day = d.day
        WHERE a.day IS NULL AND d.day < (now() AT TIME ZONE 'UTC' - make_interval(secs => $1))::date
        ORDER BY d.day DESC LIMIT $2`,
      [SETTLED_AFTER_MS / 1000 + 86_400, limit],
    )) as { day: string }[];
    for (const { day } of days) {
      const [counted] = (await this.dataSource.query(COUNT_ACTIVE_AS_OF, [day])) as ActiveUsers[];
      await this.store(day, counted);
    }
    return days.length;
  }

  private async store(day: string, counts: ActiveUsers): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO activity_daily_active (day, dau, wau, mau) VALUES ($1::date, $2, $3, $4) ON CONFLICT (day) DO NOTHING`,
      [day, counts.dau, counts.wau, counts.mau],
    );
  }

  /** The admin asking reads from the primary after a write of theirs. */
  overview(from: string, to: string, source?: ActivitySource): Promise<Overview> {
    // One connection, so one query after another, all from the same server.
    return this.router.read(async (query) => {
      const users = await query<{ total: number; new: number }>(
        `SELECT count(*)::int AS total,
                count(*) FILTER (WHERE (created_at AT TIME ZONE 'UTC')::date BETWEEN $1::date AND $2::date)::int AS new
           FROM users`,
        [from, to],
      );
      const active = await this.activeUsers(to, query);
      // Each settled day's counts as stored (activity:maintain stores them), and `to`'s.
      const stored = await query<{ day: string } & ActiveUsers>(
        `SELECT to_char(day, 'YYYY-MM-DD') AS day, dau, wau, mau FROM activity_daily_active
          WHERE day >= $1::date AND day < $2::date ORDER BY day`,
        [from, to],
      );
      const planMix = await query<{ plan: string; users: number }>(
        `SELECT coalesce(features->>'plan', plan) AS plan, count(*)::int AS users
           FROM subscriptions WHERE user_id IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1`,
        [],
      );
      const signups = await query<{ day: string; signups: number }>(
        `SELECT to_char(d.day, 'YYYY-MM-DD') AS day, count(u.id)::int AS signups
           FROM generate_series($1::date, $2::date, interval '1 day') AS d(day)
           LEFT JOIN users u
             ON u.created_at >= d.day AT TIME ZONE 'UTC' AND u.created_at < (d.day + interval '1 day') AT TIME ZONE 'UTC'
          GROUP BY d.day ORDER BY d.day`,
        [from, to],
      );
      const topActions = await query<{ action: string; source: ActivitySource; events: number }>(
        `SELECT action, source, sum(events)::bigint::float8 AS events
           FROM activity_daily_actions
          WHERE day BETWEEN $1::date AND $2::date AND ($3::varchar IS NULL OR source = $3)
          GROUP BY action, source ORDER BY sum(events) DESC, action, source LIMIT 10`,
        [from, to, source ?? null],
      );
      return {
        users: users[0],
        activeUsers: active,
        activeUsersPerDay: [...stored, { day: to, ...active }],
        planMix,
        signupsPerDay: signups,
        topActions: topActions.map((row) => ({
          action: row.action,
          source: row.source,
          events: Number(row.events),
        })),
      };
    });
  }
}
