import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { databaseUrlFor } from './run-state.js';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function asAdmin(sql: string): Promise<void> {
  const connectionString = process.env.TEST_ADMIN_DATABASE_URL;
  if (!connectionString)
    throw new Error('TEST_ADMIN_DATABASE_URL is not set: run the tests through jest');
  const admin = new pg.Client({ connectionString });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/**
 * A fresh database for one suite: a clone of this run's migrated template, or empty
 * (`migrated: false`) for migration tests. Global teardown drops any that a suite left.
 */
export async function createTestDatabase({ migrated = true } = {}): Promise<TestDatabase> {
  const name = `is_test_${process.env.TEST_RUN_ID}_${randomBytes(4).toString('hex')}`;
  const template = migrated ? ` TEMPLATE "${process.env.TEST_TEMPLATE_DATABASE}"` : '';
  await asAdmin(`CREATE DATABASE "${name}"${template}`);
  return {
    name,
    url: databaseUrlFor(process.env.TEST_ADMIN_DATABASE_URL!, name),
    drop: () => asAdmin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}
