import type { EmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import type { PgBouncer } from './pgbouncer.js';

interface RunState {
  embedded?: EmbeddedPostgres;
  pgbouncer?: PgBouncer;
}

/** Shared between global setup and teardown, which run in the same process. */
export function runState(): RunState {
  const holder = globalThis as { __insightsheetTestRun?: RunState };
  holder.__insightsheetTestRun ??= {};
  return holder.__insightsheetTestRun;
}

export function databaseUrlFor(baseUrl: string, database: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
