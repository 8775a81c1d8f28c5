/**
 * Concurrent callers that miss the cache for the same key share one load instead of each
 * running it: a burst on a cold key (a thousand connections of one user, or every user after
 * a cache flush) costs one database read per key, not one per request.
 */
export class SingleFlight<T> {
  private readonly pending = new Map<string, Promise<T>>();

  run(key: string, load: () => Promise<T>): Promise<T> {
    let promise = this.pending.get(key);
    if (!promise) {
      promise = load().finally(() => this.pending.delete(key));
      this.pending.set(key, promise);
    }
    return promise;
  }
}
