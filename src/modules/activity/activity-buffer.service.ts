import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { ServiceUnavailableWithRetryException } from '../../common/errors/service-unavailable.exception.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ActivityWriter, type ActivityRow } from './activity-writer.js';

const MAX_BACKOFF_MS = 30_000;
const SHUTDOWN_ATTEMPTS = 5;
/** Dropped server events are logged at most this often, with the count since the last line. */
const DROP_LOG_INTERVAL_MS = 10_000;

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

interface Entry {
  rows: ActivityRow[];
  /** The request waiting for these rows to commit; absent for the server's own events. */
  waiter?: Waiter;
}

/**
 * Group commit for activity. A request's events join the next batch and the request is
 * answered only when that batch has committed, so 202 means durable: a batch is written
 * ACTIVITY_FLUSH_MS after its first event arrives, or at once when ACTIVITY_FLUSH_SIZE rows
 * wait, and whatever arrives while one batch is being written forms the next. A request's
 * events always travel in one batch, so they are written together or not at all.
 *
 * When the database cannot take a batch, every waiting request is answered 503 (nothing of
 * theirs was written, so a retry is safe), while the server's own events (logins, plan
 * changes: no request waits for them) stay queued and are retried with back-off, and written
 * at shutdown. The queue is bounded by ACTIVITY_BUFFER_MAX rows: past it requests get 503 and
 * server events are dropped, counted and logged.
 */
@Injectable()
export class ActivityBuffer implements OnApplicationShutdown {
  private readonly logger = new Logger(ActivityBuffer.name);
  private entries: Entry[] = [];
  private rowsQueued = 0;
  private waiting = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private retryAt = 0;
  private closed = false;
  private droppedSinceLog = 0;
  private lastDropLog = 0;
  /** Counters for metrics and tests. */
  readonly stats = {
    written: 0,
    duplicates: 0,
    deadLettered: 0,
    failedFlushes: 0,
    droppedServerEvents: 0,
  };

  constructor(
    private readonly config: AppConfig,
    private readonly writer: ActivityWriter,
    metrics: MetricsService,
  ) {
    metrics.gauge(
      'activity_buffer_depth',
      'Activity events waiting to be written',
      () => this.depth,
    );
    metrics.gauge(
      'activity_events_written',
      'Activity events written since start',
      () => this.stats.written,
    );
    metrics.gauge(
      'activity_events_duplicate',
      'Activity events whose id had already been stored, since start',
      () => this.stats.duplicates,
    );
    metrics.gauge(
      'activity_events_dead_lettered',
      'Activity events the database refused, kept in activity_dead_letters, since start',
      () => this.stats.deadLettered,
    );
    metrics.gauge(
      'activity_server_events_dropped',
      "The server's own activity events dropped because the buffer was full, since start",
      () => this.stats.droppedServerEvents,
    );
    metrics.gauge(
      'activity_flush_failures',
      'Failed activity writes since start',
      () => this.stats.failedFlushes,
    );
  }

  /** Rows waiting to be written. */
  get depth(): number {
    return this.rowsQueued;
  }

  /**
   * The web app's events: resolves once they are committed. Rejects with 503 (Retry-After)
   * when the buffer is full or the database cannot take them; then none of them was written.
   */
  write(rows: ActivityRow[]): Promise<void> {
    if (this.closed || !this.hasRoomFor(rows.length)) {
      return Promise.reject(
        new ServiceUnavailableWithRetryException(
          'Activity is not being accepted right now, please retry',
          1,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.waiting++;
      this.push({ rows, waiter: { resolve, reject } });
    });
  }

  /** The server's own events: written in the background, kept across database outages. */
  enqueue(rows: ActivityRow[]): void {
    if (this.hasRoomFor(rows.length)) {
      this.push({ rows });
      return;
    }
    this.stats.droppedServerEvents += rows.length;
    this.droppedSinceLog += rows.length;
    const now = Date.now();
    if (now - this.lastDropLog >= DROP_LOG_INTERVAL_MS) {
      this.logger.error({
        msg: "Activity buffer full: the server's own events are being dropped",
        dropped: this.droppedSinceLog,
        bufferMax: this.config.activity.bufferMax,
      });
      this.lastDropLog = now;
      this.droppedSinceLog = 0;
    }
  }

  /** Writes what is queued, batch after batch; concurrent calls share one run. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private hasRoomFor(rows: number): boolean {
    return this.rowsQueued + rows <= this.config.activity.bufferMax;
  }

  private push(entry: Entry): void {
    this.entries.push(entry);
    this.rowsQueued += entry.rows.length;
    if (this.rowsQueued >= this.config.activity.flushSize) void this.flush();
    else this.schedule(this.config.activity.flushMs);
  }

  /** A flush after `delayMs`, unless one is already due sooner. */
  private schedule(delayMs: number): void {
    const due = Date.now() + delayMs;
    if (this.closed || (this.timer && this.timerDue <= due)) return;
    clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs);
    this.timer.unref();
  }

  private async drain(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.entries.length > 0) {
      // With nobody waiting, a failed write is retried after its back-off; a waiting request
      // always gets its own attempt.
      if (this.waiting === 0 && Date.now() < this.retryAt) {
        this.schedule(this.retryAt - Date.now());
        return;
      }
      const batch = this.take();
      const rows = batch.flatMap((entry) => entry.rows);
      try {
        const outcome = await this.writer.write(rows);
        this.stats.written += outcome.written;
        this.stats.duplicates += outcome.duplicates;
        this.stats.deadLettered += outcome.deadLettered;
        this.failures = 0;
        this.retryAt = 0;
        for (const entry of batch) this.settle(entry)?.resolve();
      } catch (error) {
        this.failed(batch, error);
      }
    }
  }

  /** Whole entries, oldest first, up to ACTIVITY_FLUSH_SIZE rows (at least one entry). */
  private take(): Entry[] {
    let rows = 0;
    let count = 0;
    while (
      count < this.entries.length &&
      (count === 0 || rows + this.entries[count].rows.length <= this.config.activity.flushSize)
    ) {
      rows += this.entries[count].rows.length;
      count++;
    }
    return this.entries.splice(0, count);
  }

  private settle(entry: Entry): Waiter | undefined {
    this.rowsQueued -= entry.rows.length;
    if (entry.waiter) this.waiting--;
    return entry.waiter;
  }

  /**
   * Nothing of the batch was written (the writer throws only transient errors). Every waiting
   * request is answered 503 now rather than held through the back-off; the server's events go
   * back to the head of the queue.
   */
  private failed(batch: Entry[], error: unknown): void {
    this.failures++;
    this.stats.failedFlushes++;
    const backoff = Math.min(
      Math.max(this.config.activity.flushMs, 100) * 2 ** this.failures,
      MAX_BACKOFF_MS,
    );
    this.retryAt = Date.now() + backoff;
    const waiting = [...batch, ...this.entries].filter((entry) => entry.waiter);
    this.entries = [...batch, ...this.entries].filter((entry) => !entry.waiter);
    const unavailable = new ServiceUnavailableWithRetryException(
      'Activity cannot be written right now, please retry',
      Math.max(1, Math.ceil(backoff / 1000)),
    );
    for (const entry of waiting) this.settle(entry)?.reject(unavailable);
    this.logger.warn({
      msg: 'Activity write failed; requests answered 503, server events kept',
      err: error,
      refused: waiting.length,
      kept: this.rowsQueued,
      retryInMs: backoff,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    // The HTTP server has closed: no request waits any more, only the server's own events.
    this.closed = true;
    clearTimeout(this.timer);
    await this.flushing;
    for (let attempt = 0; attempt < SHUTDOWN_ATTEMPTS && this.entries.length > 0; attempt++) {
      this.retryAt = 0;
      await this.flush();
      if (this.entries.length > 0)
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    }
    if (this.entries.length > 0) {
      this.logger.error({
        msg: 'Activity events could not be written before exit',
        lost: this.rowsQueued,
      });
    }
    await this.writer.close();
  }
}
