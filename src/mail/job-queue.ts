import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import PgBoss from 'pg-boss';
import { DataSource, type EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { MetricsService } from '../modules/metrics/metrics.service.js';
import { JobDataSeal, type SealedJobData } from './job-data-seal.js';
import { JobWorker } from './job-worker.js';

/** pg-boss's schema, created by the MailQueue migration (pg-boss itself never runs DDL here). */
export const JOB_SCHEMA = 'pgboss';

/** A job is given this long per attempt; past it the attempt counts as failed and is retried. */
const ATTEMPT_SECONDS = 60;
/** The states that the queue metrics report: waiting, being worked on, dead. */
const REPORTED_STATES = ['created', 'retry', 'active', 'failed'] as const;

export interface JobContext {
  id: string;
  /** Attempts made before this one. */
  retryCount: number;
  retryLimit: number;
}

export type JobHandler<T> = (data: T, job: JobContext) => Promise<void>;

/**
 * Durable jobs in PostgreSQL through pg-boss 10. A job is inserted in the caller's
 * transaction when given its EntityManager, so it exists exactly when the change that asked
 * for it commits. Every instance that serves HTTP works the queues: pg-boss takes a job with
 * `FOR UPDATE SKIP LOCKED`, so two instances never hold the same one; a failed attempt is
 * retried MAIL_RETRY_LIMIT times with exponential back-off, then left as `failed`; an
 * attempt that outlives ATTEMPT_SECONDS (its instance died) is failed and retried by
 * pg-boss's maintenance, which any live instance runs. Job data is sealed (JobDataSeal) and
 * never logged. pg-boss shares the API's connection pool and never changes the schema
 * (`migrate: false`): it checks at start that the schema is the version it expects.
 */
@Injectable()
export class JobQueue implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(JobQueue.name);
  private readonly seal: JobDataSeal;
  private readonly handlers = new Map<string, JobHandler<never>>();
  private readonly workers = new Map<string, JobWorker<PgBoss.JobWithMetadata<SealedJobData>>>();
  private boss: PgBoss | undefined;
  /** pg-boss's queries and the attempts under way, which shutdown waits for. */
  private inFlight = 0;

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: MetricsService,
  ) {
    this.seal = new JobDataSeal(config.jwt.secret);
  }

  onModuleInit(): void {
    const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
    this.boss = new PgBoss({
      db: { executeSql: (text, values) => this.track(pool.query(text, values)) },
      schema: JOB_SCHEMA,
      migrate: false,
      schedule: false,
      supervise: true,
      maintenanceIntervalSeconds: 60,
      pollingIntervalSeconds: this.config.mail.pollIntervalMs / 1000,
      // Sent mail leaves the job table after an hour and the archive after a week; failed
      // jobs stay in the job table (and the failed count) for a week.
      archiveCompletedAfterSeconds: 3600,
      archiveFailedAfterSeconds: 7 * 86_400,
      deleteAfterDays: 7,
    });
    // pg-boss's errors name the queue and the worker, never a job's data.
    this.boss.on('error', (error: Error) =>
      this.logger.error({ err: { message: error.message } }, 'Job queue error'),
    );
    this.metrics.gaugeFromQuery(
      'mail_queue_jobs',
      'Jobs in the mail queues by queue and state (created and retry wait, active is being ' +
        'sent, failed ran out of tries within the last week)',
      () => this.counts(),
      ['queue', 'state'],
    );
  }

  /** Called in onModuleInit; the handler runs in instances that serve HTTP (not the CLI). */
  work<T>(queue: string, handler: JobHandler<T>): void {
    this.handlers.set(queue, handler as JobHandler<never>);
  }

  /**
   * Queues a job; with `manager`, inside that transaction (it is sent only if it commits).
   * Returns the job's id. With a `singletonKey` on a queue of pg-boss's `short` policy, a job
   * already waiting under that key stands for this one: null is returned and nothing queued.
   */
  async send(
    queue: string,
    data: unknown,
    manager?: EntityManager,
    options: { singletonKey?: string } = {},
  ): Promise<string | null> {
    const id = await this.requireBoss().send(queue, this.seal.seal(queue, data), {
      retryLimit: this.config.mail.retryLimit,
      retryDelay: this.config.mail.retryDelaySeconds,
      retryBackoff: true,
      expireInSeconds: ATTEMPT_SECONDS,
      ...options,
      ...(manager && {
        db: { executeSql: async (text, values) => ({ rows: await manager.query(text, values) }) },
      }),
    });
    if (!id && !options.singletonKey)
      throw new Error(`The job was not queued (is there a queue named ${queue}?)`);
    return id;
  }

  /** Lets this instance's worker look for `queue`'s jobs now rather than at its next poll. */
  wake(queue: string): void {
    this.workers.get(queue)?.wake();
  }

  async onApplicationBootstrap(): Promise<void> {
    // Workers belong to the API's instances; the CLI (an application context) only queues.
    if (!this.adapterHost.httpAdapter) return;
    const boss = this.requireBoss();
    await boss.start();
    for (const [queue, handler] of this.handlers) {
      type Job = PgBoss.JobWithMetadata<SealedJobData>;
      const source = {
        fetch: async (name: string) =>
          (await boss.fetch<SealedJobData>(name, { batchSize: 1, includeMetadata: true }))?.[0] as
            Job | undefined,
        complete: (name: string, id: string) => boss.complete(name, id),
        fail: (name: string, id: string, reason: { message: string }) =>
          boss.fail(name, id, reason),
      };
      const worker = new JobWorker<Job>(
        queue,
        source,
        (job) => this.track(this.attempt(queue, handler, job)),
        this.config.mail.pollIntervalMs,
        this.logger,
      );
      this.workers.set(queue, worker);
      worker.start();
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.boss) return;
    // The job under way finishes and its outcome is recorded (each attempt is bounded); what
    // waits stays queued for the others.
    await Promise.all([...this.workers.values()].map((worker) => worker.stop()));
    await this.boss.stop({ graceful: true, close: false, timeout: ATTEMPT_SECONDS * 1000 });
    // pg-boss's stop does not wait for a fetch already sent: a job it returns is attempted
    // and completed before the pool closes, rather than left active until it expires.
    const deadline = Date.now() + ATTEMPT_SECONDS * 1000;
    while (this.inFlight > 0 && Date.now() < deadline) await sleep(10);
  }

  private async track<T>(work: Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await work;
    } finally {
      this.inFlight--;
    }
  }

  private async attempt(
    queue: string,
    handler: JobHandler<never>,
    job: PgBoss.JobWithMetadata<SealedJobData>,
  ): Promise<void> {
    const context = { id: job.id, retryCount: job.retryCount, retryLimit: job.retryLimit };
    try {
      await handler(this.seal.open<never>(queue, job.data), context);
    } catch (error) {
      const last = job.retryCount >= job.retryLimit;
      this.metrics.jobAttempts.inc({ queue, outcome: last ? 'failed' : 'retry' });
      const message = error instanceof Error ? error.message : String(error);
      this.logger[last ? 'error' : 'warn'](
        { queue, job: job.id, attempt: job.retryCount + 1, err: { message } },
        last ? 'Job failed, no tries left' : 'Job attempt failed, to be retried',
      );
      // pg-boss stores the thrown error as the job's output: the message alone, no details.
      // eslint-disable-next-line preserve-caught-error -- a cause would be stored with it
      throw new Error(message);
    }
    this.metrics.jobAttempts.inc({ queue, outcome: 'completed' });
  }

  private async counts(): Promise<{ labels: Record<string, string>; value: number }[]> {
    const rows: { queue: string; state: string; count: number }[] = await this.dataSource.query(
      `SELECT q.name AS queue, s.state::text AS state, count(j.id)::int AS count
         FROM ${JOB_SCHEMA}.queue q
        CROSS JOIN unnest($1::${JOB_SCHEMA}.job_state[]) AS s(state)
         LEFT JOIN ${JOB_SCHEMA}.job j ON j.name = q.name AND j.state = s.state
        GROUP BY q.name, s.state`,
      [REPORTED_STATES],
    );
    return rows.map(({ queue, state, count }) => ({ labels: { queue, state }, value: count }));
  }

  private requireBoss(): PgBoss {
    if (!this.boss) throw new Error('The job queue is not initialised yet');
    return this.boss;
  }
}
