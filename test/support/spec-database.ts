import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config.js';
import { buildDataSourceOptions } from '../../src/database/database.options.js';
import { entities } from '../../src/entities.js';
import { databaseUrlFor } from './run-state.js';

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface SpecDatabase {
  dataSource: DataSource;
  /** A user row (no subscription, a placeholder password hash) for rows that need one. */
  createUser(): Promise<{ id: string; email: string }>;
  drop(): Promise<void>;
}

async function asAdmin(adminUrl: string, sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** The app's migrations, quietly: a spec's output is its results. */
async function migrate(options: ReturnType<typeof buildDataSourceOptions>): Promise<void> {
  const dataSource = new DataSource({ ...options, logger: undefined, logging: false, poolSize: 1 });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}

/**
 * A migrated database of one spec's own, for specs where SQL is the logic. Inside a full
 * `npm test` it clones the run's template (and teardown drops it if the spec cannot); run with
 * `npm run test:unit` it is created on the server at DATABASE_URL (or the local default) and
 * migrated from the TypeScript sources, so no build is needed. `drop()` closes and removes it.
 */
export async function createSpecDatabase(): Promise<SpecDatabase> {
  const runId = process.env.TEST_RUN_ID;
  const template = process.env.TEST_TEMPLATE_DATABASE;
  const adminUrl =
    process.env.TEST_ADMIN_DATABASE_URL ?? process.env.DATABASE_URL ?? DEFAULT_ADMIN_URL;
  const name = `is_${runId ? `test_${runId}` : 'spec'}_${randomBytes(4).toString('hex')}`;
  await asAdmin(adminUrl, `CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`);
  const url = databaseUrlFor(adminUrl, name);
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: url });
  const dropDatabase = () => asAdmin(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  try {
    if (!template) await migrate(buildDataSourceOptions(config, url));
    const dataSource = new DataSource({ ...buildDataSourceOptions(config, url), entities });
    await dataSource.initialize();
    return {
      dataSource,
      async createUser() {
        const email = `spec-${randomBytes(6).toString('hex')}@example.com`;
        const [{ id }] = await dataSource.query<{ id: string }[]>(
          `INSERT INTO users (email, password_hash, name) VALUES ($1, 'x', 'Spec') RETURNING id`,
          [email],
        );
        return { id, email };
      },
      drop: async () => {
        await dataSource.destroy();
        await dropDatabase();
      },
    };
  } catch (error) {
    await dropDatabase();
    throw error;
  }
}
