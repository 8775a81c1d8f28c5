import type { EmbeddedPostgres } from '../../src/database/embedded-postgres.js';

/** Shared between global setup and teardown, which run in the same process. */
export function runState(): { embedded?: EmbeddedPostgres } {
  const holder = globalThis as { __insightsheetTestRun?: { embedded?: EmbeddedPostgres } };
  holder.__insightsheetTestRun ??= {};
  return holder.__insightsheetTestRun;
}

export function databaseUrlFor(baseUrl: string, database: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
