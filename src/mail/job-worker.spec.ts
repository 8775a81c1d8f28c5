import { describe, expect, it } from '@jest/globals';
import { JobWorker, type JobSource } from './job-worker.js';

interface Job {
  id: string;
}

/** Jobs in memory; `completeFails` makes recording a success reject, as a dropped connection. */
class MemorySource implements JobSource<Job> {
  readonly waiting: Job[] = [];
  readonly completed: string[] = [];
  readonly failed: { id: string; message: string }[] = [];
  completeFails = false;
  fetches = 0;

  async fetch(): Promise<Job | undefined> {
    this.fetches++;
    return this.waiting.shift();
  }

  async complete(_queue: string, id: string): Promise<void> {
    if (this.completeFails) throw new Error('terminating connection due to administrator command');
    this.completed.push(id);
  }

  async fail(_queue: string, id: string, reason: { message: string }): Promise<void> {
    this.failed.push({ id, message: reason.message });
  }
}

const quietLogger = () => {
  const lines: unknown[] = [];
  return { lines, error: (...args: unknown[]) => void lines.push(args) };
};
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe(JobWorker.name, () => {
  it('works a backlog job after job without waiting for a poll, and records each outcome', async () => {
    const source = new MemorySource();
    source.waiting.push({ id: 'a' }, { id: 'b' }, { id: 'c' });
    const ran: string[] = [];
    const worker = new JobWorker(
      'q',
      source,
      async (job) => {
        ran.push(job.id);
        if (job.id === 'b') throw new Error('refused');
      },
      3_600_000,
      quietLogger(),
    );
    worker.start();
    for (let i = 0; i < 20 && source.completed.length + source.failed.length < 3; i++)
      await settle();
    await worker.stop();
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(source.completed).toEqual(['a', 'c']);
    expect(source.failed).toEqual([{ id: 'b', message: 'refused' }]);
  });

  it('keeps working when recording an outcome fails, and logs it', async () => {
    const source = new MemorySource();
    source.completeFails = true;
    source.waiting.push({ id: 'a' }, { id: 'b' });
    const logger = quietLogger();
    const ran: string[] = [];
    const worker = new JobWorker(
      'q',
      source,
      async (job) => void ran.push(job.id),
      3_600_000,
      logger,
    );
    worker.start();
    for (let i = 0; i < 20 && ran.length < 2; i++) await settle();
    await worker.stop();
    expect(ran).toEqual(['a', 'b']);
    expect(logger.lines).toHaveLength(2);
  });

  it('waits when the queue is empty until woken', async () => {
    const source = new MemorySource();
    const ran: string[] = [];
    const worker = new JobWorker(
      'q',
      source,
      async (job) => void ran.push(job.id),
      3_600_000,
      quietLogger(),
    );
    worker.start();
    await settle();
    const idleFetches = source.fetches;
    await settle();
    expect(source.fetches).toBe(idleFetches);
    source.waiting.push({ id: 'late' });
    worker.wake();
    for (let i = 0; i < 20 && ran.length < 1; i++) await settle();
    await worker.stop();
    expect(ran).toEqual(['late']);
  });
});
