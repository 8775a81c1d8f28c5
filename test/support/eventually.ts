import { setTimeout as sleep } from 'node:timers/promises';

export interface EventuallyOptions {
  /** How long to keep asking before failing; 5 s unless told. */
  timeoutMs?: number;
  /** The pause between two asks; 25 ms unless told. */
  intervalMs?: number;
}

/**
 * Asks `probe` again and again until it answers with a truthy value, and returns that value.
 * A probe that throws (a failing `expect`, a refused connection) has not succeeded yet; end
 * an expectation probe with `return true`. Past the timeout it fails naming `what` was awaited
 * and the last answer or error, so a slow dependency reads differently from a wrong one.
 */
export async function eventually<T>(
  what: string,
  probe: () => T | Promise<T>,
  { timeoutMs = 5000, intervalMs = 25 }: EventuallyOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    try {
      const answer = await probe();
      if (answer) return answer;
      last = `last answer: ${String(answer)}`;
    } catch (error) {
      last = `last error: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (Date.now() >= deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (${last})`);
    }
    await sleep(intervalMs);
  }
}
