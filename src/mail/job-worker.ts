import type { Logger } from '@nestjs/common';

/** What a worker needs of pg-boss: one job at a time, and its outcome recorded. */
export interface JobSource<J extends { id: string }> {
  fetch(queue: string): Promise<J | undefined>;
  complete(queue: string, id: string): Promise<unknown>;
  fail(queue: string, id: string, reason: { message: string }): Promise<unknown>;
}

/**
 * One queue's worker loop: take a job, run it, record the outcome; look for the next at once
 * after a job, otherwise every `pollMs` or when woken. Every query is awaited and its failure
 * logged: a database that drops a connection while a job's outcome is written leaves that job
 * to expire and be retried by maintenance, never an unhandled rejection that ends the process
 * (pg-boss's own `work()` writes outcomes without awaiting them).
 */
export class JobWorker<J extends { id: string }> {
  private stopping = false;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly queue: string,
    private readonly source: JobSource<J>,
    private readonly run: (job: J) => Promise<void>,
    private readonly pollMs: number,
    private readonly logger: Pick<Logger, 'error'>,
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  /** Looks for a job now rather than at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops taking jobs; resolves once the job under way (if any) has its outcome recorded. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      this.woken = false;
      const job = await this.source.fetch(this.queue).catch((error: Error) => {
        this.logger.error({ queue: this.queue, err: { message: error.message } }, 'Fetch failed');
        return undefined;
      });
      if (job) {
        await this.attempt(job);
        continue;
      }
      if (!this.woken && !this.stopping) await this.idle();
    }
  }

  private async attempt(job: J): Promise<void> {
    let outcome: Promise<unknown>;
    try {
      await this.run(job);
      outcome = this.source.complete(this.queue, job.id);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      outcome = this.source.fail(this.queue, job.id, { message });
    }
    await outcome.catch((error: Error) =>
      this.logger.error(
        { queue: this.queue, job: job.id, err: { message: error.message } },
        "A job's outcome was not recorded: it is retried once it expires",
      ),
    );
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.pollMs);
      this.wakeUp = done;
    });
  }
}
