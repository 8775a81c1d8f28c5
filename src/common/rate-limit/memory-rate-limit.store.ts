import type { ThrottlerStorageRecord } from './throttler-storage-record.js';

interface Window {
  hits: number;
  expiresAt: number;
  blockedUntil: number;
}

/**
 * Fixed-window counters in a Map: constant cost per request, unlike the throttler's default
 * store, which keeps every hit and scans them. Expired windows are swept periodically.
 */
export class MemoryRateLimitStore {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(sweepIntervalMs = 30_000) {
    this.sweeper = setInterval(() => this.sweep(), sweepIntervalMs);
    this.sweeper.unref();
  }

  increment(
    key: string,
    ttlMs: number,
    limit: number,
    blockDurationMs: number,
  ): ThrottlerStorageRecord {
    return this.incrementAll([key], ttlMs, limit, blockDurationMs);
  }

  /** One hit for each key; while any key is blocked nothing is counted. */
  incrementAll(
    keys: string[],
    ttlMs: number,
    limit: number,
    blockDurationMs: number,
  ): ThrottlerStorageRecord {
    const now = Date.now();
    const windows = keys.map((key) => this.current(key, ttlMs, now));
    if (windows.every((window) => window.blockedUntil <= now)) {
      for (const window of windows) {
        window.hits += 1;
        if (window.hits > limit) window.blockedUntil = now + blockDurationMs;
      }
    }
    const busiest = windows.reduce((most, window) => (window.hits > most.hits ? window : most));
    const blockedUntil = Math.max(...windows.map((window) => window.blockedUntil));
    const isBlocked = blockedUntil > now;
    return {
      totalHits: busiest.hits,
      timeToExpire: Math.max(0, Math.ceil((busiest.expiresAt - now) / 1000)),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.ceil((blockedUntil - now) / 1000) : 0,
    };
  }

  /** Takes back one hit of the current window, e.g. an attempt reserved and not used up. */
  release(key: string): void {
    const window = this.windows.get(key);
    if (window && window.hits > 0 && window.expiresAt > Date.now()) window.hits -= 1;
  }

  /** Removes a key's window, for example after a successful login. */
  reset(key: string): void {
    this.windows.delete(key);
  }

  private current(key: string, ttlMs: number, now: number): Window {
    let window = this.windows.get(key);
    if (!window || (window.expiresAt <= now && window.blockedUntil <= now)) {
      window = { hits: 0, expiresAt: now + ttlMs, blockedUntil: 0 };
      this.windows.set(key, window);
    }
    return window;
  }

  get size(): number {
    return this.windows.size;
  }

  sweep(now = Date.now()): void {
    for (const [key, window] of this.windows) {
      if (window.expiresAt <= now && window.blockedUntil <= now) this.windows.delete(key);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
