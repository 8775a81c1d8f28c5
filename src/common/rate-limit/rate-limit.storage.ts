import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { ThrottlerStorageRecord } from './throttler-storage-record.js';
import { RedisService, withTimeout } from '../../redis/redis.service.js';
import { MemoryRateLimitStore } from './memory-rate-limit.store.js';

/**
 * One atomic round trip per request: count the hit in a fixed window of each key (KEYS holds
 * counter and block key pairs), start a window's expiry on its first hit, and set a key's
 * block once its limit is passed. While any key is blocked nothing is counted.
 * Returns { hits, windowTtlMs, blockTtlMs } of the most used key and the longest block.
 */
const INCREMENT_SCRIPT = `
local longest = 0
for i = 2, #KEYS, 2 do
  longest = math.max(longest, redis.call('PTTL', KEYS[i]))
end
local hits, ttl, block = -1, 0, 0
for i = 1, #KEYS, 2 do
  local keyHits, keyTtl
  if longest > 0 then
    keyHits = tonumber(redis.call('GET', KEYS[i]) or '0')
    keyTtl = redis.call('PTTL', KEYS[i])
  else
    keyHits = redis.call('INCR', KEYS[i])
    keyTtl = redis.call('PTTL', KEYS[i])
    if keyTtl < 0 then
      redis.call('PEXPIRE', KEYS[i], ARGV[1])
      keyTtl = tonumber(ARGV[1])
    end
    if keyHits > tonumber(ARGV[2]) then
      redis.call('SET', KEYS[i + 1], '1', 'PX', ARGV[3])
      block = tonumber(ARGV[3])
    end
  end
  if keyHits > hits then
    hits = keyHits
    ttl = keyTtl
  end
end
return { hits, ttl, math.max(longest, block) }
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

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    return this.incrementAll([key], ttl, limit, blockDuration, throttlerName);
  }

  /**
   * One hit for each key at once (a client's address and user, say), in one round trip:
   * blocked when any key is, and then nothing is counted. The record is the most used key's.
   */
  async incrementAll(
    keys: string[],
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const client = this.redis.client;
    if (client && this.redis.isReady) {
      try {
        const record = await withTimeout(
          this.evalIncrement(
            keys.map((key) => this.redis.key('rl', throttlerName, key)),
            ttl,
            limit,
            blockDuration,
          ),
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
    return this.memory.incrementAll(
      keys.map((key) => `${throttlerName}:${key}`),
      ttl,
      limit,
      blockDuration,
    );
  }

  /**
   * Takes back one hit of a key's current window, where increment counted it: an attempt
   * reserved before its outcome was known and then not to be counted. A block stays.
   */
  async release(key: string, throttlerName: string): Promise<void> {
    const client = this.redis.client;
    if (client && this.redis.isReady) {
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
    if (client && this.redis.isReady) {
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
    redisKeys: string[],
    ttl: number,
    limit: number,
    blockDuration: number,
  ): Promise<ThrottlerStorageRecord> {
    const client = this.redis.client!;
    const keys = redisKeys.flatMap((key) => [key, `${key}:block`]);
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
