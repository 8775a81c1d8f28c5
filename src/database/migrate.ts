import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/app-config.js';
import { buildDataSourceOptions } from './database.options.js';

/** Applies pending migrations with a short-lived connection; returns their names. */
export async function runPendingMigrations(
  config: AppConfig,
  url = config.database.url,
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
