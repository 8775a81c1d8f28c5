import type { PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { migrations } from '../../migrations/index.js';
import type { AppConfig } from '../config/app-config.js';
import { DatabaseLogger } from './typeorm-logger.js';

/**
 * One description of the database for the app, the migration CLI and the tests. The pool
 * fails fast: a connection attempt gives up after DB_CONNECT_TIMEOUT_MS and a query after
 * the statement timeout, so a dead database turns into a quick 503 rather than a hang.
 * Entities are not part of it: the app loads those its modules register, and the CLI's data
 * source (src/data-source.ts) lists them, so that the database layer imports no module.
 */
export function buildDataSourceOptions(
  config: AppConfig,
  url = config.database.url,
): PostgresDataSourceOptions {
  if (!url) throw new Error('The database URL is not known yet (embedded PostgreSQL not started)');
  const db = config.database;
  return {
    type: 'postgres',
    url,
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logger: new DatabaseLogger(),
    maxQueryExecutionTime: 1000,
    poolSize: db.poolMax,
    applicationName: 'insightsheet-api',
    extra: { min: db.poolMin, ...poolOptions(config) },
  };
}

/** The pg pool settings every pool of the API shares (primary and replicas). */
export function poolOptions(config: AppConfig) {
  const db = config.database;
  return {
    max: db.poolMax,
    connectionTimeoutMillis: db.connectTimeoutMs,
    idleTimeoutMillis: db.idleTimeoutMs,
    statement_timeout: db.statementTimeoutMs,
    query_timeout: db.statementTimeoutMs + 1000,
    keepAlive: true,
  };
}
