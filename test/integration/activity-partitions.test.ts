import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CacheModule } from '@nestjs/cache-manager';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config.js';
import { ConfigModule } from '../../src/config/config.module.js';
import { buildDataSourceOptions } from '../../src/database/database.options.js';
import { Clock } from '../../src/common/time/clock.js';
import { ReadRouter } from '../../src/database/read-router.service.js';
import { ReaderContext } from '../../src/database/reader-context.js';
import { RecentWrites } from '../../src/database/recent-writes.service.js';
import { ReplicaHealth } from '../../src/database/replica-health.service.js';
import { ActivityPartitionsService } from '../../src/modules/activity/activity-partitions.service.js';
import { AnalyticsRepository } from '../../src/modules/activity/analytics.repository.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

describe(ActivityPartitionsService.name, () => {
  let database: TestDatabase;
  let service: ActivityPartitionsService;
  let dataSource: DataSource;
  let close: () => Promise<void>;

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      ACTIVITY_RETENTION_DAYS: '730',
    });
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRoot(buildDataSourceOptions(config)),
        CacheModule.register(),
      ],
      providers: [
        ActivityPartitionsService,
        AnalyticsRepository,
        ReadRouter,
        ReplicaHealth,
        RecentWrites,
        ReaderContext,
        Clock,
      ],
    }).compile();
    service = moduleRef.get(ActivityPartitionsService);
    dataSource = moduleRef.get(DataSource);
    close = () => moduleRef.close();
  });
  afterAll(async () => {
    await close();
    await database.drop();
  });

  const partitions = async () =>
    (
      (await dataSource.query(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'user_activities' ORDER BY 1`,
      )) as { name: string }[]
    ).map((row) => row.name);

  const monthName = (offset: number) => {
    const now = new Date();
    const date = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
    return `user_activities_${date.getUTCFullYear()}_${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
  };

  it('has this month and the next three ahead, and routes a row to its month', async () => {
    await service.maintain();
    const names = await partitions();
    for (const offset of [0, 1, 2, 3]) expect(names).toContain(monthName(offset));
    const [row] = (await dataSource.query(
      `INSERT INTO user_activities (action) VALUES ('partition.check') RETURNING tableoid::regclass::text AS partition`,
    )) as { partition: string }[];
    expect(row.partition).toBe(monthName(0));
  });

  it('creates nothing twice', async () => {
    expect((await service.maintain()).created).toBe(0);
  });

  it('drops whole months older than the retention period, and keeps the rest', async () => {
    await dataSource.query(`SELECT ensure_activity_partitions('2021-03-01'::date, 1)`);
    await dataSource.query(
      `INSERT INTO user_activities (action, created_at) VALUES ('old.event', '2021-03-15T10:00:00Z')`,
    );
    const report = await service.maintain();
    expect(report.dropped).toEqual(['user_activities_2021_03']);
    expect(
      await dataSource.query(`SELECT 1 FROM user_activities WHERE action = 'old.event'`),
    ).toEqual([]);
    expect(
      await dataSource.query(`SELECT 1 FROM user_activities WHERE action = 'partition.check'`),
    ).toHaveLength(1);
  });

  it('has the indexes on every partition', async () => {
    const rows = (await dataSource.query(`SELECT indexdef FROM pg_indexes WHERE tablename = $1`, [
      monthName(0),
    ])) as { indexdef: string }[];
    const definitions = rows.map((row) => row.indexdef).join('\n');
    expect(definitions).toMatch(/\(user_id, created_at DESC\)/);
    expect(definitions).toMatch(/\(created_at DESC\)/);
    expect(definitions).toMatch(/\(action, created_at DESC\)/);
  });
});
