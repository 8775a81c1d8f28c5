import { describe, expect, it, jest } from '@jest/globals';
import type { Cache } from 'cache-manager';
import { loadConfig } from '../config/app-config.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { RecentWrites } from './recent-writes.service.js';

const REPLICAS = {
  NODE_ENV: 'test',
  READ_REPLICA_URL: 'postgres://reader@127.0.0.1:5433/insightsheet',
  REPLICA_MAX_LAG_MS: '1000',
  REPLICA_CHECK_INTERVAL_MS: '100',
  ACTIVITY_FLUSH_MS: '5',
};
/** Lag budget, two check periods and the activity batching: 1000 + 200 + 5. */
const WINDOW_MS = 1205;

/** The shared cache another instance would see, here a map; expiry is the cache's own job. */
function sharedCache() {
  const entries = new Map<string, unknown>();
  const cache = {
    get: jest.fn(async (key: string) => entries.get(key)),
    set: jest.fn(async (key: string, value: unknown, _ttl?: number) => {
      entries.set(key, value);
      return value;
    }),
  };
  return { entries, cache, asCache: cache as unknown as Cache };
}

function setUp(env: Record<string, string> = REPLICAS) {
  const clock = new ManualClock(Date.parse('2026-03-01T12:00:00Z'));
  const shared = sharedCache();
  const marks = new RecentWrites(loadConfig(env), shared.asCache, clock);
  return { clock, marks, ...shared };
}

describe(RecentWrites.name, () => {
  it('keeps a writer on the primary for the window, in the shared cache', async () => {
    const { marks, cache } = setUp();
    expect(marks.windowMs).toBe(WINDOW_MS);
    await marks.markWrite('writer');
    expect(cache.set).toHaveBeenCalledWith('recent-write:writer', 1, WINDOW_MS);
    expect(await marks.wroteRecently('writer')).toBe(true);
  });

  it('answers from its own mark without asking the cache', async () => {
    const { marks, cache } = setUp();
    await marks.markWrite('writer');
    expect(await marks.wroteRecently('writer')).toBe(true);
    expect(cache.get).not.toHaveBeenCalled();
  });

  it('asks the cache once its own mark has lapsed, and for marks set by other instances', async () => {
    const { marks, clock, cache, entries } = setUp();
    await marks.markWrite('writer');
    clock.advance(WINDOW_MS);
    entries.clear(); // the cache let the mark expire too
    expect(await marks.wroteRecently('writer')).toBe(false);
    expect(cache.get).toHaveBeenCalledWith('recent-write:writer');

    entries.set('recent-write:elsewhere', 1);
    expect(await marks.wroteRecently('elsewhere')).toBe(true);
    expect(await marks.wroteRecently('nobody')).toBe(false);
  });

  it('sends the reader to the primary when the cache cannot be reached', async () => {
    const { marks, cache } = setUp();
    cache.get.mockRejectedValue(new Error('connect ECONNREFUSED'));
    expect(await marks.wroteRecently('anyone')).toBe(true);
  });

  it('renews the shared mark only once half the window has gone', async () => {
    const { marks, clock, cache } = setUp();
    await marks.markWrite('writer');
    clock.advance(WINDOW_MS / 2 - 1);
    await marks.markWrite('writer');
    expect(cache.set).toHaveBeenCalledTimes(1);
    clock.advance(2);
    await marks.markWrite('writer');
    expect(cache.set).toHaveBeenCalledTimes(2);
  });

  it('still marks locally when the cache cannot take the write', async () => {
    const { marks, cache } = setUp();
    cache.set.mockRejectedValue(new Error('connect ECONNREFUSED'));
    await expect(marks.markWrite('writer')).resolves.toBeUndefined();
    expect(await marks.wroteRecently('writer')).toBe(true);
  });

  it('marks nothing when no replica is configured', async () => {
    const { marks, cache } = setUp({ NODE_ENV: 'test' });
    await marks.markWrite('writer');
    expect(cache.set).not.toHaveBeenCalled();
    expect(await marks.wroteRecently('writer')).toBe(false);
  });
});
