import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { buildDataSourceOptions } from './database.options.js';
import { guardClientErrors } from './pool-client-errors.js';
import { ReadRouter } from './read-router.service.js';
import { ReaderContext } from './reader-context.js';
import { RecentWrites } from './recent-writes.service.js';
import { ReplicaHealth } from './replica-health.service.js';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...buildDataSourceOptions(config),
        // The entities each module registers with TypeOrmModule.forFeature.
        autoLoadEntities: true,
        // Boot fails after a few quick attempts rather than hanging: the orchestrator restarts it.
        retryAttempts: 3,
        retryDelay: 1000,
      }),
      dataSourceFactory: async (options) => {
        const dataSource = await new DataSource(options!).initialize();
        const logger = new Logger('Database');
        guardClientErrors((dataSource.driver as unknown as { master: Pool }).master, (error) =>
          logger.warn({ msg: 'A database connection ended', err: { message: error.message } }),
        );
        return dataSource;
      },
    }),
  ],
  providers: [ReplicaHealth, RecentWrites, ReaderContext, ReadRouter],
  exports: [ReplicaHealth, RecentWrites, ReaderContext, ReadRouter],
})
export class DatabaseModule {}
