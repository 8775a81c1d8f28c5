import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';
import { AnalyticsRepository } from './analytics.repository.js';

const HOUR_MS = 3_600_000;
const MONTHS_AHEAD = 3;
const DEAD_LETTER_DAYS = 30;
const MAX_DAYS_SETTLED_PER_RUN = 31;
/** Any constant: instances take turns on it so that only one maintains at a time. */
const LOCK_KEY = 727_174_001;

export interface MaintenanceReport {
  created: number;
  dropped: string[];
}

/**
 * Keeps user_activities' monthly partitions: this month and the next three exist ahead of
 * time, and months that ended more than ACTIVITY_RETENTION_DAYS ago are dropped whole. Runs at
 * start and hourly; instances serialise on an advisory lock. (With a database role that may not
 * run DDL, run `npm run cli -- activity:maintain` as the owner instead, e.g. daily.)
 */
@Injectable()
export class ActivityPartitionsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ActivityPartitionsService.name);
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly analytics: AnalyticsRepository,
  ) {}

  onApplicationBootstrap(): void {
    const run = () =>
      this.maintain().catch((error: Error) =>
        this.logger.warn({ msg: 'Activity partition maintenance failed', err: error }),
      );
    void run();
    this.timer = setInterval(() => void run(), HOUR_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async maintain(now = new Date()): Promise<MaintenanceReport> {
    const report = await this.maintainPartitions(now);
    // Active-user counts of finished days, so the overview reads them instead of counting.
    await this.analytics.settleDays(MAX_DAYS_SETTLED_PER_RUN);
    return report;
  }

  private async maintainPartitions(now: Date): Promise<MaintenanceReport> {
    return this.dataSource.transaction(async (manager) => {
      const [{ locked }] = (await manager.query(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [
        LOCK_KEY,
      ])) as {
        locked: boolean;
      }[];
      if (!locked) return { created: 0, dropped: [] };
      const month = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}-01`;
      const [{ created }] = (await manager.query(
        `SELECT ensure_activity_partitions($1::date, $2) AS created`,
        [month, MONTHS_AHEAD + 1],
      )) as { created: number }[];

      const cutoff = now.getTime() - this.config.activity.retentionDays * 86_400_000;
      const partitions = (await manager.query(
        `SELECT c.relname AS name FROM pg_inherits i
           JOIN pg_class c ON c.oid = i.inhrelid
           JOIN pg_class p ON p.oid = i.inhparent
          WHERE p.relname = 'user_activities'`,
      )) as { name: string }[];
      const dropped: string[] = [];
      for (const { name } of partitions) {
        const match = /^user_activities_(\d{4})_(\d{2})$/.exec(name);
        if (!match) continue;
        const end = Date.UTC(Number(match[1]), Number(match[2]), 1);
        if (end <= cutoff) {
          await manager.query(`DROP TABLE "${name}"`);
          dropped.push(name);
        }
      }
      const cutoffDay = new Date(cutoff).toISOString().slice(0, 10);
      await manager.query(`DELETE FROM activity_daily_users WHERE day < $1::date`, [cutoffDay]);
      await manager.query(`DELETE FROM activity_daily_actions WHERE day < $1::date`, [cutoffDay]);
      await manager.query(`DELETE FROM activity_daily_active WHERE day < $1::date`, [cutoffDay]);
      // Client event ids are remembered as long as their events are kept.
      await manager.query(`DELETE FROM activity_event_ids WHERE created_at < $1`, [
        new Date(cutoff),
      ]);
      // Refused events are for investigation, not history: kept a month at most.
      await manager.query(`DELETE FROM activity_dead_letters WHERE failed_at < $1`, [
        new Date(Math.max(cutoff, now.getTime() - DEAD_LETTER_DAYS * 86_400_000)),
      ]);
      if (created > 0 || dropped.length > 0)
        this.logger.log({ msg: 'Activity partitions maintained', created, dropped });
      return { created, dropped };
    });
  }
}
