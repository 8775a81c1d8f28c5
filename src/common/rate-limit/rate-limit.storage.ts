import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from './throttler-storage-record.js';
import { RedisService, withTimeout } from '../../redis/redis.service.js';
import { MemoryRateLimitStore } from './memory-rate-limit.store.js';

/**
 * One atomic round trip per request: count the hit in a fixed window, start the window's
 * expiry on its first hit, and set a block key once the limit is passed.
 * Returns { hits, windowTtlMs, blockTtlMs }.
 */
const INCREMENT_SCRIPT = `
local blockTtl = redis.call('PTTL', KEYS[2])
if blockTtl > 0 then
  local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
  return { hits, redis.call('PTTL', KEYS[1]), blockTtl }
end
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
if hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  return { hits, ttl, tonumber(ARGV[3]) }
end
return { hits, ttl, 0 }
`;

/** Takes back one hit, never below zero; DECR keeps the window's expiry. */
const RELEASE_SCRIPT = `
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0
`;

const REDIS_TIMEOUT_MS = 500;

/**
 * Rate-limit state for @nestjs/throttler. With Redis it is shared by every instance; while
 * Redis is unreachable (or when it is not configured) counts are kept per instance, and the
 * switch is logged, so an outage weakens the limit instead of failing requests.
 */
@Injectable()
export class RateLimitStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger(RateLimitStorage.name);
  private readonly memory = new MemoryRateLimitStore();
  private scriptSha: string | undefined;
  private degraded = false;

  constructor(private readonly redis: RedisService) {}

  /** 'redis', 'memory' (no Redis configured) or 'memory-fallback' (Redis down). */
  get mode(): 'redis' | 'memory' | 'memory-fallback' {
    if (!this.redis.enabled) return 'memory';
    return this.degraded || !this.redis.isReady ? 'memory-fallback' : 'redis';
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const client = this.redis.client;
    if (client?.isReady) {
      try {
        const record = await withTimeout(
          this.evalIncrement(this.redis.key('rl', throttlerName, key), ttl, limit, blockDuration),
          REDIS_TIMEOUT_MS,
          'rate-limit increment',
        );
        if (this.degraded) {
          this.degraded = false;
          this.logger.log('Rate limiting is shared through Redis again');
        }
        return record;
      } catch (error) {
        this.fallBack(error as Error);
      }
    } else if (client) {
      this.fallBack(new Error('Redis is not connected'));
    }
    return this.memory.increment(`${throttlerName}:${key}`, ttl, limit, blockDuration);
  }

  /**
   * Takes back one hit of a key's current window, where increment counted it: an attempt
   * reserved before its outcome was known and then not to be counted. A block stays.
   */
  async release(key: string, throttlerName: string): Promise<void> {
    const client = this.redis.client;
    if (client?.isReady) {
      try {
        await withTimeout(
          client.eval(RELEASE_SCRIPT, { keys: [this.redis.key('rl', throttlerName, key)] }),
          REDIS_TIMEOUT_MS,
          'rate-limit release',
        );
        return;
      } catch (error) {
        this.fallBack(error as Error);
      }
    }
    this.memory.release(`${throttlerName}:${key}`);
  }

  /** Clears the counter of one key in every store, e.g. failed logins after a success. */
  async reset(key: string, throttlerName: string): Promise<void> {
    this.memory.reset(`${throttlerName}:${key}`);
    const client = this.redis.client;
    if (client?.isReady) {
      const redisKey = this.redis.key('rl', throttlerName, key);
      await withTimeout(
        client.del([redisKey, `${redisKey}:block`]),
        REDIS_TIMEOUT_MS,
        'rate-limit reset',
      ).catch((error: Error) => this.fallBack(error));
    }
  }

  onApplicationShutdown(): void {
    this.memory.close();
  }

  private async evalIncrement(
    redisKey: string,
    ttl: number,
    limit: number,
    blockDuration: number,
  ): Promise<ThrottlerStorageRecord> {
    const client = this.redis.client!;
    const keys = [redisKey, `${redisKey}:block`];
    const args = [String(ttl), String(limit), String(blockDuration)];
    this.scriptSha ??= await client.scriptLoad(INCREMENT_SCRIPT);
    let reply: unknown;
    try {
      reply = await client.evalSha(this.scriptSha, { keys, arguments: args });
    } catch (error) {
      if (!String((error as Error).message).includes('NOSCRIPT')) throw error;
      reply = await client.eval(INCREMENT_SCRIPT, { keys, arguments: args });
    }
    const [hits, windowTtl, blockTtl] = reply as [number, number, number];
    return {
      totalHits: hits,
      timeToExpire: Math.max(0, Math.ceil(windowTtl / 1000)),
      isBlocked: blockTtl > 0,
      timeToBlockExpire: Math.max(0, Math.ceil(blockTtl / 1000)),
    };
  }

  private fallBack(error: Error): void {
    if (!this.degraded) {
      this.degraded = true;
      this.logger.warn(`Rate limiting falls back to per-instance counters: ${error.message}`);
    }
  }
}
