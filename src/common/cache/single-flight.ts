/** How long a settled load still answers callers whose cache read began before it settled. */
const SETTLED_KEEP_MS = 1000;

/**
 * Concurrent callers that miss the cache for the same key share one load instead of each
 * running it: a burst on a cold key (a thousand connections of one user, or every user after
 * a cache flush) costs one database read per key, not one per request.
 */
export class SingleFlight<T> {
  private readonly pending = new Map<string, Promise<T>>();
  private readonly settled = new Map<string, { at: number; value: T }>();
  private ticks = 0;

  run(key: string, load: () => Promise<T>): Promise<T> {
    let promise = this.pending.get(key);
    if (!promise) {
      promise = load()
        .then((value) => {
          this.remember(key, value);
          return value;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, promise);
    }
    return promise;
  }

  /**
   * Through the cache: a hit answers; a miss joins the load in flight, or takes the result of
   * one that settled while this caller's cache read was on its way (its copy was being
   * written as the read went out), and only otherwise loads.
   */
  async read(key: string, cached: () => Promise<T | undefined>, load: () => Promise<T>) {
    const began = ++this.ticks;
    const hit = await cached();
    if (hit !== undefined) return hit;
    const settled = this.settled.get(key);
    if (settled && settled.at > began) return settled.value;
    return this.run(key, load);
  }

  private remember(key: string, value: T): void {
    this.settled.set(key, { at: ++this.ticks, value });
    setTimeout(() => {
      if (this.settled.get(key)?.value === value) this.settled.delete(key);
    }, SETTLED_KEEP_MS).unref();
  }
}
