import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig, loadDotEnv } from '../config/app-config.js';
import { buildDataSourceOptions } from './database.options.js';
import { embeddedDatabaseUrl } from './embedded-postgres.js';

/**
 * The migration CLI's data source (typeorm -d dist/src/database/data-source.js). Without
 * DATABASE_URL it targets the embedded server, which `npm start` must have started.
 */
loadDotEnv();
const config = loadConfig();
export default new DataSource(
  buildDataSourceOptions(config, config.database.url ?? embeddedDatabaseUrl(config)),
);
