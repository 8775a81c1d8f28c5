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
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || (window.expiresAt <= now && window.blockedUntil <= now)) {
      window = { hits: 0, expiresAt: now + ttlMs, blockedUntil: 0 };
      this.windows.set(key, window);
    }
    const blocked = window.blockedUntil > now;
    if (!blocked) {
      window.hits += 1;
      if (window.hits > limit) {
        window.blockedUntil = now + blockDurationMs;
      }
    }
    const isBlocked = window.blockedUntil > now;
    return {
      totalHits: window.hits,
      timeToExpire: Math.max(0, Math.ceil((window.expiresAt - now) / 1000)),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.ceil((window.blockedUntil - now) / 1000) : 0,
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
