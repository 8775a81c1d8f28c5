import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { ServiceUnavailableWithRetryException } from '../../common/errors/service-unavailable.exception.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ActivityWriter, type ActivityRow } from './activity-writer.js';

const MAX_BACKOFF_MS = 30_000;
const SHUTDOWN_ATTEMPTS = 5;

/**
 * Accepted events wait here and are written in batches, so a request never waits on the
 * database: every ACTIVITY_FLUSH_MS, or as soon as ACTIVITY_FLUSH_SIZE are waiting. The
 * buffer is bounded: past ACTIVITY_BUFFER_MAX the API answers 503 with Retry-After instead of
 * growing. A failed write keeps its events and is retried with exponential back-off. At
 * shutdown (after the server stopped taking requests) everything left is written before the
 * process exits. A hard crash loses at most what was buffered: about one flush interval.
 */
@Injectable()
export class ActivityBuffer implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ActivityBuffer.name);
  private readonly queue: ActivityRow[] = [];
  private writer: ActivityWriter | undefined;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private retryAt = 0;
  private closed = false;
  /** Counters for metrics and tests. */
  readonly stats = { written: 0, failedFlushes: 0 };

  constructor(
    private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    metrics.gauge(
      'activity_buffer_depth',
      'Activity events waiting to be written',
      () => this.queue.length,
    );
    metrics.gauge(
      'activity_events_written',
      'Activity events written since start',
      () => this.stats.written,
    );
    metrics.gauge(
      'activity_flush_failures',
      'Failed activity writes since start',
      () => this.stats.failedFlushes,
    );
  }

  onModuleInit(): void {
    this.writer = new ActivityWriter(this.config, this.config.database.url!);
    this.timer = setInterval(() => void this.flush(), this.config.activity.flushMs);
    this.timer.unref();
  }

  get depth(): number {
    return this.queue.length;
  }

  /** Takes events or refuses them all (503): a batch is never half accepted. */
  enqueue(rows: ActivityRow[]): void {
    if (this.closed || this.queue.length + rows.length > this.config.activity.bufferMax) {
      throw new ServiceUnavailableWithRetryException(
        'Activity is not being accepted right now, please retry',
        Math.max(1, Math.ceil(this.config.activity.flushMs / 1000)),
      );
    }
    this.queue.push(...rows);
    if (this.queue.length >= this.config.activity.flushSize) void this.flush();
  }

  /** Writes what is buffered, one batch at a time; concurrent calls share one run. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && Date.now() >= this.retryAt) {
      const batch = this.queue.slice(0, this.config.activity.flushSize);
      try {
        await this.writer!.insert(batch);
        this.queue.splice(0, batch.length);
        this.stats.written += batch.length;
        this.failures = 0;
        this.retryAt = 0;
      } catch (error) {
        this.failures++;
        this.stats.failedFlushes++;
        const backoff = Math.min(this.config.activity.flushMs * 2 ** this.failures, MAX_BACKOFF_MS);
        this.retryAt = Date.now() + backoff;
        this.logger.warn({
          msg: 'Activity flush failed; events kept',
          err: error,
          buffered: this.queue.length,
          retryInMs: backoff,
        });
        return;
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.flushing;
    for (let attempt = 0; attempt < SHUTDOWN_ATTEMPTS && this.queue.length > 0; attempt++) {
      this.retryAt = 0;
      await this.flush();
      if (this.queue.length > 0)
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    }
    if (this.queue.length > 0) {
      this.logger.error({
        msg: 'Activity events could not be written before exit',
        lost: this.queue.length,
      });
    }
    await this.writer?.close();
  }
}
