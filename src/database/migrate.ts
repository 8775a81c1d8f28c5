import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { buildDataSourceOptions } from './database.options.js';

/**
 * Applies pending migrations with a short-lived connection; returns their names. It connects
 * to DATABASE_DIRECT_URL (else DATABASE_URL): a migration may hold session state (a temporary
 * table, a lock) that a transaction-mode pooler would hand to another client.
 */
export async function runPendingMigrations(
  config: AppConfig,
  url = config.database.directUrl,
): Promise<string[]> {
  const dataSource = new DataSource({
    ...buildDataSourceOptions(config, url),
    logging: ['error'],
    poolSize: 1,
  });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}
