import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig, loadDotEnv } from './config/app-config.js';
import { buildDataSourceOptions } from './database/database.options.js';
import { embeddedDatabaseUrl } from './database/embedded-postgres.js';
import { entities } from './entities.js';

/**
 * The migration CLI's data source (typeorm -d dist/src/data-source.js): DATABASE_DIRECT_URL,
 * else DATABASE_URL. Without either it targets the embedded server, which `npm start` must have
 * started.
 */
loadDotEnv();
const config = loadConfig();
export default new DataSource({
  ...buildDataSourceOptions(config, config.database.directUrl ?? embeddedDatabaseUrl(config)),
  entities,
});
