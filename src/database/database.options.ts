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
    extra: { min: db.poolMin, ...poolOptions(config, url) },
  };
}

/** The pg pool settings every pool of the API shares (primary and replicas). */
export function poolOptions(config: AppConfig, url: string) {
  const db = config.database;
  return {
    max: db.poolMax,
    connectionTimeoutMillis: db.connectTimeoutMs,
    idleTimeoutMillis: db.idleTimeoutMs,
    ...sessionSettings(config, url),
    query_timeout: db.statementTimeoutMs + 1000,
    keepAlive: true,
  };
}

/**
 * Whether `url` leads to a transaction-mode pooler (DB_TRANSACTION_POOLING): DATABASE_URL and
 * the replicas do then, DATABASE_DIRECT_URL does not (unless it is DATABASE_URL itself).
 */
export function leadsToPooler(config: AppConfig, url: string | undefined): boolean {
  const db = config.database;
  const direct = db.directUrl !== db.url && url === db.directUrl;
  return db.transactionPooling && !direct;
}

/**
 * The settings a connection asks for when it opens (startup parameters). Through a
 * transaction-mode pooler there is no session to set up: PgBouncer refuses a startup parameter
 * it does not track ("unsupported startup parameter: statement_timeout"), and the server
 * connection a statement runs on is shared with other clients anyway. The statement timeout is
 * then the database role's (`ALTER ROLE ... SET statement_timeout`, which db:roles sets); the
 * client-side query timeout still bounds every wait.
 */
export function sessionSettings(
  config: AppConfig,
  url: string | undefined,
): { statement_timeout?: number } {
  return leadsToPooler(config, url)
    ? {}
    : { statement_timeout: config.database.statementTimeoutMs };
}
