import 'reflect-metadata';
import './resolve-ts.cjs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig } from '../../src/config/app-config.js';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { runPendingMigrations } from '../../src/database/migrate.js';
import { PgBouncer, pgbouncerBinary } from './pgbouncer.js';
import { databaseUrlFor, runState } from './run-state.js';
import { build } from './server-process.js';

/**
 * Once per run: find a PostgreSQL (DATABASE_URL, or an embedded one), create this run's
 * template database with every migration applied, and hand its name to the workers through
 * the environment. Each suite then clones the template; teardown drops them all. A PgBouncer
 * in transaction mode is started in front of that PostgreSQL for the suites of the `pgbouncer`
 * project (jest.config.js), which reach their databases through it (TEST_PGBOUNCER_URL).
 */
export default async function globalSetup(): Promise<void> {
  // Process tests run the built server and CLI, as `npm start` and operators do.
  build();
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const config = loadConfig({
      EMBEDDED_PG_DIR: '.data/pg-test',
      EMBEDDED_PG_PORT: process.env.TEST_EMBEDDED_PG_PORT ?? '54330',
    });
    const embedded = await startEmbeddedPostgres(config, () => undefined);
    runState().embedded = embedded;
    adminUrl = embedded.url;
  }
  const template = `is_test_${runId}_template`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${template}`);
  } finally {
    await admin.end();
  }
  await runPendingMigrations(loadConfig({ NODE_ENV: 'test' }), databaseUrlFor(adminUrl, template));

  if (pgbouncerBinary()) {
    // Two server connections per database and user, for any number of clients: a session
    // setting one client left behind would reach the next.
    const pgbouncer = new PgBouncer({ serverUrl: adminUrl, poolSize: 2 });
    await pgbouncer.start();
    runState().pgbouncer = pgbouncer;
    process.env.TEST_PGBOUNCER_URL = pgbouncer.urlFor('postgres');
  } else if (process.env.CI) {
    throw new Error('CI is set and pgbouncer is not installed (Debian package pgbouncer)');
  }

  process.env.TEST_ADMIN_DATABASE_URL = adminUrl;
  process.env.TEST_RUN_ID = runId;
  process.env.TEST_TEMPLATE_DATABASE = template;
}
