import { CacheModule as NestCacheModule, type CacheModuleOptions } from '@nestjs/cache-manager';
import { Global, Logger, Module } from '@nestjs/common';
import KeyvRedis, { Keyv } from '@keyv/redis';
import { RedisService } from '../redis/redis.service.js';

const ONE_HOUR_MS = 3_600_000;

/**
 * The Redis connection belongs to RedisService, which closes it last at shutdown; the cache
 * module would otherwise close it in onModuleDestroy, before the server has drained.
 */
class SharedConnectionKeyvRedis<T> extends KeyvRedis<T> {
  override async disconnect(): Promise<void> {}
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
