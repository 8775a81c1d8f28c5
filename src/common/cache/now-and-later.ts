import type { Cache } from 'cache-manager';

/** How long after a change its cache step runs again. */
export const LATE_REPEAT_MS = 1000;

/**
 * Runs a cache step for a change that is already committed, now and once more a moment later:
 * a read that began before the change and writes its stale copy back in between is undone by
 * the second run. A failure of the later run is ignored (the entry's TTL bounds it).
 */
export async function nowAndLater(step: () => Promise<unknown>): Promise<void> {
  await step();
  setTimeout(() => void step().catch(() => undefined), LATE_REPEAT_MS).unref();
}

/** Drops a cache entry now and a moment later (see nowAndLater); cache errors are ignored. */
export function evictNowAndLater(cache: Cache, key: string): Promise<void> {
  return nowAndLater(() => cache.del(key).catch(() => undefined));
}
