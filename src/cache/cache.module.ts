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
  override async disconnect(): Promise<void> {}

  // A Redis that is connected but does not answer (stalled, overloaded) would hold every
  // request on a cache call until the socket times out: each call gives up after a bound,
  // and the callers, which treat a failed cache call as a miss, ask the database.
  override get<U = T>(key: string): Promise<U | undefined> {
    return withTimeout(super.get<U>(key), CACHE_CALL_TIMEOUT_MS, 'Cache read');
  }

  override set(key: string, value: string, ttl?: number): Promise<void> {
    return withTimeout(super.set(key, value, ttl), CACHE_CALL_TIMEOUT_MS, 'Cache write');
  }

  override delete(key: string): Promise<boolean> {
    return withTimeout(super.delete(key), CACHE_CALL_TIMEOUT_MS, 'Cache delete');
  }
}

/**
 * cache-manager 7 over Keyv: in Redis (shared by every instance) when REDIS_URL is set,
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
          store: new SharedConnectionKeyvRedis(redis.client, { throwOnConnectError: false }),
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
