import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { MemoryRateLimitStore } from './memory-rate-limit.store.js';

describe(MemoryRateLimitStore.name, () => {
  let store: MemoryRateLimitStore;

  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    store = new MemoryRateLimitStore();
  });
  afterEach(() => {
    store.close();
    jest.useRealTimers();
  });

  it('counts hits in a window and blocks past the limit', () => {
    const results = Array.from({ length: 5 }, () => store.increment('k', 60_000, 3, 60_000));
    expect(results.map((r) => r.isBlocked)).toEqual([false, false, false, true, true]);
    expect(results[2]).toMatchObject({ totalHits: 3, timeToExpire: 60 });
    expect(results[3].timeToBlockExpire).toBe(60);
  });

  it('keeps keys apart', () => {
    store.increment('a', 60_000, 1, 60_000);
    expect(store.increment('b', 60_000, 1, 60_000).isBlocked).toBe(false);
  });

  it('opens a new window once the block and the window have passed', () => {
    for (let i = 0; i < 3; i++) store.increment('k', 1000, 2, 5000);
    jest.advanceTimersByTime(1500);
    expect(store.increment('k', 1000, 2, 5000).isBlocked).toBe(true);
    jest.advanceTimersByTime(4000);
    expect(store.increment('k', 1000, 2, 5000)).toMatchObject({ isBlocked: false, totalHits: 1 });
  });

  it('sweeps expired windows so memory does not grow', () => {
    for (let i = 0; i < 100; i++) store.increment(`k${i}`, 1000, 10, 1000);
    expect(store.size).toBe(100);
    store.sweep(Date.now() + 2000);
    expect(store.size).toBe(0);
  });

  it('counts several keys at once, refuses when any is spent, and then counts none', () => {
    store.increment('user', 60_000, 2, 60_000);
    store.increment('user', 60_000, 2, 60_000);
    expect(store.incrementAll(['ip', 'user'], 60_000, 2, 60_000)).toMatchObject({
      isBlocked: true,
      totalHits: 3,
    });
    expect(store.incrementAll(['ip', 'other-user'], 60_000, 2, 60_000)).toMatchObject({
      isBlocked: false,
      totalHits: 2,
    });
    expect(store.incrementAll(['ip', 'user'], 60_000, 2, 60_000).isBlocked).toBe(true);
    // The refused call counted nothing: the address is at 2 before this hit.
    expect(store.increment('ip', 60_000, 2, 60_000)).toMatchObject({
      isBlocked: true,
      totalHits: 3,
    });
  });

  it('release takes back one hit of the current window, never below zero', () => {
    store.increment('k', 60_000, 1, 60_000);
    store.release('k');
    store.release('k');
    expect(store.increment('k', 60_000, 1, 60_000)).toMatchObject({
      isBlocked: false,
      totalHits: 1,
    });
    expect(store.increment('k', 60_000, 1, 60_000).isBlocked).toBe(true);
  });

  it('reset forgets a key', () => {
    store.increment('k', 60_000, 1, 60_000);
    store.increment('k', 60_000, 1, 60_000);
    store.reset('k');
    expect(store.increment('k', 60_000, 1, 60_000).isBlocked).toBe(false);
  });
});
