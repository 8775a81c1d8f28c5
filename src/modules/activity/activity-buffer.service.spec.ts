import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { loadConfig } from '../../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ActivityBuffer } from './activity-buffer.service.js';
import { activityRow } from '../../../test/factories/activity.factory.js';
import type { ActivityRow, ActivityWriter, WriteOutcome } from './activity-writer.js';

/** A writer whose writes stay open until the test commits or fails them. */
class FakeWriter {
  readonly batches: ActivityRow[][] = [];
  private readonly pending: { resolve(o: WriteOutcome): void; reject(e: unknown): void }[] = [];
  closed = false;

  write(rows: ActivityRow[]): Promise<WriteOutcome> {
    this.batches.push(rows);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
  get open(): number {
    return this.pending.length;
  }
  commit(): void {
    const rows = this.batches[this.batches.length - this.pending.length];
    this.pending.shift()!.resolve({ written: rows.length, duplicates: 0, deadLettered: 0 });
  }
  fail(
    error: unknown = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
  ): void {
    this.pending.shift()!.reject(error);
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

const USER = '00000000-0000-4000-8000-000000000001';
const row = (action = 'sheet.opened', source: ActivityRow['source'] = 'client') =>
  activityRow({ userId: USER, action, source });
const rows = (n: number, action?: string) => Array.from({ length: n }, () => row(action));

/** Lets settled promises run their callbacks (fake timers do not touch microtasks). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function track(promise: Promise<void>) {
  const state = { done: false, error: undefined as unknown };
  promise.then(
    () => (state.done = true),
    (error: unknown) => (state.error = error),
  );
  return state;
}

describe(ActivityBuffer.name, () => {
  let writer: FakeWriter;
  let buffer: ActivityBuffer;

  const create = (env: Record<string, string> = {}) => {
    writer = new FakeWriter();
    buffer = new ActivityBuffer(
      loadConfig({
        NODE_ENV: 'test',
        ACTIVITY_FLUSH_MS: '50',
        ACTIVITY_FLUSH_SIZE: '10',
        ACTIVITY_BUFFER_MAX: '40',
        ...env,
      }),
      writer as unknown as ActivityWriter,
      new MetricsService(),
    );
  };

  beforeEach(() => {
    jest.useFakeTimers();
    create();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  // Issue 10, item 2: 202 follows the commit, not the enqueue.
  it('answers a request only after the batch holding its events has committed', async () => {
    const request = track(buffer.write(rows(3)));
    jest.advanceTimersByTime(49);
    expect(writer.batches).toHaveLength(0);
    jest.advanceTimersByTime(1);
    await settle();
    expect(writer.batches).toHaveLength(1);
    expect(request.done).toBe(false);
    writer.commit();
    await settle();
    expect(request.done).toBe(true);
    expect(buffer.depth).toBe(0);
  });

  it('writes at once when ACTIVITY_FLUSH_SIZE rows wait, without waiting for the window', async () => {
    track(buffer.write(rows(4)));
    track(buffer.write(rows(6)));
    await settle();
    expect(writer.batches.map((batch) => batch.length)).toEqual([10]);
  });

  it("groups what arrives during a write into the next batch and never splits a request's events", async () => {
    const first = track(buffer.write(rows(2)));
    jest.advanceTimersByTime(50);
    await settle();
    const during = [track(buffer.write(rows(6))), track(buffer.write(rows(6)))];
    writer.commit();
    await settle();
    // 6 + 6 exceeds the batch size of 10: two batches of whole requests.
    expect(writer.batches.map((batch) => batch.length)).toEqual([2, 6]);
    expect(first.done).toBe(true);
    writer.commit();
    await settle();
    expect(writer.batches.map((batch) => batch.length)).toEqual([2, 6, 6]);
    writer.commit();
    await settle();
    expect(during.every((request) => request.done)).toBe(true);
  });

  // 202 means durable, so a write that fails answers 503 at once, and nothing is kept for it.
  it('answers every waiting request 503 when the database cannot take a batch, and keeps the server events', async () => {
    buffer.enqueue([row('auth.login', 'server')]);
    const waiting = [track(buffer.write(rows(2))), track(buffer.write(rows(2)))];
    jest.advanceTimersByTime(50);
    await settle();
    writer.fail();
    await settle();
    for (const request of waiting) {
      expect(request.error).toMatchObject({ status: 503 });
      expect((request.error as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
    }
    expect(buffer.depth).toBe(1);
    expect(buffer.stats.failedFlushes).toBe(1);

    // The server's event is retried after the back-off (100 ms * 2), then written.
    jest.advanceTimersByTime(199);
    await settle();
    expect(writer.batches).toHaveLength(1);
    jest.advanceTimersByTime(1);
    await settle();
    expect(writer.batches[1].map((r) => r.action)).toEqual(['auth.login']);
    writer.commit();
    await settle();
    expect(buffer.depth).toBe(0);
    expect(buffer.stats.written).toBe(1);
  });

  it('doubles the back-off with every failed retry of the server events, up to 30 s', async () => {
    buffer.enqueue([row('auth.login', 'server')]);
    jest.advanceTimersByTime(50);
    await settle();
    for (let failures = 1; failures <= 10; failures++) {
      writer.fail();
      await settle();
      const backoff = Math.min(100 * 2 ** failures, 30_000);
      jest.advanceTimersByTime(backoff - 1);
      await settle();
      expect(writer.batches).toHaveLength(failures);
      jest.advanceTimersByTime(1);
      await settle();
      expect(writer.batches).toHaveLength(failures + 1);
    }
    expect(buffer.stats.failedFlushes).toBe(10);
    expect(buffer.depth).toBe(1);
  });

  it('starts the back-off from its first step again after a write succeeds', async () => {
    buffer.enqueue([row('auth.login', 'server')]);
    jest.advanceTimersByTime(50);
    await settle();
    writer.fail();
    await settle();
    jest.advanceTimersByTime(200);
    await settle();
    writer.fail();
    await settle();
    jest.advanceTimersByTime(400);
    await settle();
    writer.commit();
    await settle();
    expect(buffer.depth).toBe(0);

    buffer.enqueue([row('auth.logout', 'server')]);
    jest.advanceTimersByTime(50);
    await settle();
    writer.fail();
    await settle();
    jest.advanceTimersByTime(199);
    await settle();
    expect(writer.batches).toHaveLength(4);
    jest.advanceTimersByTime(1);
    await settle();
    expect(writer.batches).toHaveLength(5);
  });

  it('tells each refused request to retry after the back-off then current', async () => {
    const retryAfter: number[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      const request = track(buffer.write(rows(1)));
      jest.advanceTimersByTime(50);
      await settle();
      writer.fail();
      await settle();
      retryAfter.push((request.error as { retryAfterSeconds: number }).retryAfterSeconds);
    }
    // 0.2 s, 0.4 s, ... doubling to the 30 s cap, in whole seconds and at least 1.
    expect(retryAfter).toEqual([1, 1, 1, 2, 4, 7, 13, 26, 30, 30]);
    expect(buffer.depth).toBe(0);
  });

  it('gives a waiting request its own attempt during the back-off', async () => {
    buffer.enqueue([row('auth.login', 'server')]);
    jest.advanceTimersByTime(50);
    await settle();
    writer.fail();
    await settle();
    const request = track(buffer.write(rows(1)));
    jest.advanceTimersByTime(50);
    await settle();
    expect(writer.batches[1].map((r) => r.source)).toEqual(['server', 'client']);
    writer.commit();
    await settle();
    expect(request.done).toBe(true);
  });

  it('refuses requests with 503 past ACTIVITY_BUFFER_MAX, and counts dropped server events', async () => {
    create({ ACTIVITY_FLUSH_SIZE: '1000', ACTIVITY_FLUSH_MS: '1000' });
    track(buffer.write(rows(40)));
    const refused = track(buffer.write(rows(1)));
    await settle();
    expect(refused.error).toMatchObject({ status: 503 });
    buffer.enqueue([row('auth.login', 'server'), row('auth.login', 'server')]);
    expect(buffer.stats.droppedServerEvents).toBe(2);
    expect(buffer.depth).toBe(40);
  });

  it('writes the queued server events at shutdown, then closes the writer', async () => {
    create({ ACTIVITY_FLUSH_MS: '1000' });
    buffer.enqueue([row('auth.login', 'server')]);
    const shutdown = buffer.onApplicationShutdown();
    await settle();
    expect(writer.batches).toHaveLength(1);
    expect(writer.closed).toBe(false);
    writer.commit();
    await shutdown;
    expect(writer.closed).toBe(true);
    expect(buffer.depth).toBe(0);
  });
});
