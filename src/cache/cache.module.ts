import { CacheModule as NestCacheModule, type CacheModuleOptions } from '@nestjs/cache-manager';
import { Global, Logger, Module } from '@nestjs/common';
import KeyvRedis, { Keyv } from '@keyv/redis';
import { RedisService, withTimeout } from '../redis/redis.service.js';

const ONE_HOUR_MS = 3_600_000;
/** As the rate limiter's bound on a Redis call. */
const CACHE_CALL_TIMEOUT_MS = 500;

/**
 * The Redis connection belongs to RedisService, which closes it last at shutdown; the cache
 * module would otherwise close it in onModuleDestroy, before the server has drained.
 */
class SharedConnectionKeyvRedis<T> extends KeyvRedis<T> {
  constructor(private readonly redis: RedisService) {
    super(redis.client, { throwOnConnectError: false });
  }

  override async disconnect(): Promise<void> {}

  // A Redis that is connected but does not answer (stalled, overloaded) would hold every
  // request on a cache call until the socket times out: each call gives up after a bound,
  // and the callers, which treat a failed cache call as a miss, ask the database. A Redis
  // known to be away (down, or a primary lost before Sentinel's promotion) fails the call
  // at once.
  override get<U = T>(key: string): Promise<U | undefined> {
    return this.bounded(() => super.get<U>(key), 'Cache read');
  }

  override set(key: string, value: string, ttl?: number): Promise<void> {
    return this.bounded(() => super.set(key, value, ttl), 'Cache write');
  }

  override delete(key: string): Promise<boolean> {
    return this.bounded(() => super.delete(key), 'Cache delete');
  }

  private bounded<R>(call: () => Promise<R>, what: string): Promise<R> {
    if (!this.redis.isReady) return Promise.reject(new Error(`${what}: Redis is not connected`));
    return withTimeout(call(), CACHE_CALL_TIMEOUT_MS, what);
  }
}

/**
 * cache-manager 7 over Keyv: in Redis (shared by every instance) when REDIS_URL or
 * REDIS_SENTINELS is set,
 * in process otherwise. Cache calls never throw and never wait on a Redis outage (the
 * client's offline queue is off): a miss is served from the database instead.
 */
@Global()
@Module({
  imports: [
    NestCacheModule.registerAsync({
      isGlobal: true,
      inject: [RedisService],
      useFactory: (redis: RedisService): CacheModuleOptions => {
        if (!redis.client) return { ttl: ONE_HOUR_MS };
        // The namespace belongs on Keyv: Keyv hands its own (even undefined) to the store, so a
        // namespace set only on the store is dropped and keys lose REDIS_KEY_PREFIX.
        const store = new Keyv({
          store: new SharedConnectionKeyvRedis(redis),
          namespace: redis.key('cache'),
          useKeyPrefix: false,
        });
        const logger = new Logger('Cache');
        store.on('error', (error: Error) => logger.warn(`Cache unavailable: ${error.message}`));
        return { stores: [store], ttl: ONE_HOUR_MS };
      },
    }),
  ],
})
export class CacheModule {}
