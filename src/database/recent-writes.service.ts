import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { Clock } from '../common/time/clock.js';
import { AppConfig } from '../config/app-config.js';

/**
 * Read-your-writes: a user who wrote recently reads from the primary. Writes mark the user in
 * the shared cache for the replication lag budget, so the mark holds across instances; with no
 * replica configured nothing is marked.
 */
@Injectable()
export class RecentWrites {
  /** Marks this process wrote to the cache, and when they lapse: spares repeated writes. */
  private readonly localMarks = new Map<string, number>();

  constructor(
    private readonly config: AppConfig,
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    private readonly clock: Clock,
  ) {}

  get enabled(): boolean {
    return this.config.database.replicaUrls.length > 0;
  }

  /** How long a write keeps its writer on the primary: lag budget, check period, batching. */
  get windowMs(): number {
    const db = this.config.database;
    return db.replicaMaxLagMs + 2 * db.replicaCheckIntervalMs + this.config.activity.flushMs;
  }

  /** Keeps `userId`'s replica reads on the primary until its writes have replicated. */
  async markWrite(userId: string): Promise<void> {
    if (!this.enabled) return;
    const now = this.clock.nowMs();
    const window = this.windowMs;
    const lapses = this.localMarks.get(userId);
    if (lapses !== undefined && lapses - now > window / 2) return;
    this.localMarks.set(userId, now + window);
    if (this.localMarks.size > 10_000) this.pruneLocalMarks(now);
    await this.cache.set(this.markKey(userId), 1, window).catch(() => undefined);
  }

  async wroteRecently(userId: string): Promise<boolean> {
    const lapses = this.localMarks.get(userId);
    if (lapses !== undefined && lapses > this.clock.nowMs()) return true;
    // With the cache unreachable the answer is unknown: the primary is the safe side.
    const mark = await this.cache.get(this.markKey(userId)).catch(() => 1);
    return mark !== undefined && mark !== null;
  }

  private markKey(userId: string): string {
    return `recent-write:${userId}`;
  }

  private pruneLocalMarks(now: number): void {
    for (const [userId, lapses] of this.localMarks)
      if (lapses <= now) this.localMarks.delete(userId);
  }
}
