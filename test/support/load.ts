import { setTimeout as sleep } from 'node:timers/promises';

export interface LoadResult {
  /** Responses by status. */
  statuses: Map<number, number>;
  /** Requests that got no HTTP answer at all (refused, reset, timed out). */
  errors: string[];
  maxMs: number;
  total: number;
}

export interface Load {
  /** The counts so far, while the load runs: a test waits on them instead of sleeping. */
  readonly counts: LoadResult;
  /** The final counts, once `stop` has resolved and the last requests have come back. */
  readonly finished: Promise<LoadResult>;
}

/**
 * Keeps `concurrency` requests in flight until `stop` resolves, each made by `send`, and counts
 * what came back. A request gets at most `timeoutMs`: a hang shows up as an error.
 */
export function startLoad(
  send: (signal: AbortSignal) => Promise<Response>,
  options: { concurrency: number; stop: Promise<unknown>; timeoutMs?: number },
): Load {
  const counts: LoadResult = { statuses: new Map(), errors: [], maxMs: 0, total: 0 };
  return { counts, finished: run(send, counts, options) };
}

async function run(
  send: (signal: AbortSignal) => Promise<Response>,
  result: LoadResult,
  {
    concurrency,
    stop,
    timeoutMs = 10_000,
  }: { concurrency: number; stop: Promise<unknown>; timeoutMs?: number },
): Promise<LoadResult> {
  let running = true;
  void stop.then(() => (running = false));
  const worker = async () => {
    while (running) {
      const started = performance.now();
      try {
        const response = await send(AbortSignal.timeout(timeoutMs));
        await response.arrayBuffer();
        result.statuses.set(response.status, (result.statuses.get(response.status) ?? 0) + 1);
      } catch (error) {
        result.errors.push((error as Error).cause ? String((error as Error).cause) : String(error));
        await sleep(10);
      }
      result.maxMs = Math.max(result.maxMs, performance.now() - started);
      result.total += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return result;
}

/** How many answers had a status in [from, to). */
export function countStatuses(result: LoadResult, from: number, to: number): number {
  let count = 0;
  for (const [status, n] of result.statuses) if (status >= from && status < to) count += n;
  return count;
}
