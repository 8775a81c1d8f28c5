import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { CACHE_MANAGER } from '@nestjs/cache-manager';
import type { Cache } from 'cache-manager';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { CacheModule } from '../../src/cache/cache.module.js';
import { RateLimitStorage } from '../../src/common/rate-limit/rate-limit.storage.js';
import { loadConfig } from '../../src/config/app-config.js';
import { ConfigModule } from '../../src/config/config.module.js';
import { RedisModule } from '../../src/redis/redis.module.js';
import { RedisService } from '../../src/redis/redis.service.js';
import { eventually } from '../support/eventually.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { TEST_REDIS_URL } from '../support/test-app.js';

/** One "instance": Redis client, rate-limit storage and cache, wired as the app wires them. */
async function instance(redisUrl: string, prefix: string, env: Record<string, string> = {}) {
  const config = loadConfig({
    NODE_ENV: 'test',
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    ...env,
  });
  const moduleRef = await Test.createTestingModule({
    imports: [ConfigModule.forRoot(config), RedisModule, CacheModule],
    providers: [RateLimitStorage],
  }).compile();
  await moduleRef.init();
  return {
    storage: moduleRef.get(RateLimitStorage),
    cache: moduleRef.get<Cache>(CACHE_MANAGER),
    redis: moduleRef.get(RedisService),
    close: () => moduleRef.close(),
  };
}

type Instance = Awaited<ReturnType<typeof instance>>;

describe('shared state in Redis', () => {
  const prefix = `is-test:${process.env.TEST_RUN_ID}:${randomBytes(4).toString('hex')}`;
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    a = await instance(TEST_REDIS_URL, prefix);
    b = await instance(TEST_REDIS_URL, prefix);
  });
  afterAll(async () => {
    const keys = await a.redis.client!.keys(`${prefix}:*`);
    if (keys.length > 0) await a.redis.client!.del(keys);
    await a.close();
    await b.close();
  });

  it('lets exactly the limit through under 200 concurrent hits spread over two instances', async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        (i % 2 ? a : b).storage.increment('client-1', 60_000, 10, 60_000, 'default'),
      ),
    );
    expect(results.filter((r) => !r.isBlocked)).toHaveLength(10);
    expect(a.storage.mode).toBe('redis');
  });

  it('reports the window and the block in seconds', async () => {
    const results = [];
    for (let i = 0; i < 3; i++)
      results.push(await a.storage.increment('client-2', 30_000, 2, 45_000, 'default'));
    expect(results[0]).toMatchObject({ totalHits: 1, isBlocked: false, timeToExpire: 30 });
    expect(results[2]).toMatchObject({ isBlocked: true, timeToBlockExpire: 45 });
  });

  it('reset clears a key for every instance', async () => {
    for (let i = 0; i < 3; i++) await a.storage.increment('client-3', 60_000, 1, 60_000, 'login');
    await b.storage.reset('client-3', 'login');
    expect((await a.storage.increment('client-3', 60_000, 1, 60_000, 'login')).isBlocked).toBe(
      false,
    );
  });

  it('keeps every cache key under REDIS_KEY_PREFIX, apart from other deployments', async () => {
    const key = `isolation-${randomBytes(4).toString('hex')}`;
    await a.cache.set(key, 'mine', 60_000);
    expect(await a.redis.client!.keys(`*${key}*`)).toEqual([`${prefix}:cache::${key}`]);
    const other = await instance(TEST_REDIS_URL, `${prefix}-other`);
    try {
      expect(await other.cache.get(key)).toBeUndefined();
    } finally {
      await other.close();
    }
  });

  it('shares the cache between instances', async () => {
    await a.cache.set('greeting', { hello: 'world' }, 60_000);
    expect(await b.cache.get('greeting')).toEqual({ hello: 'world' });
    await b.cache.del('greeting');
    expect(await a.cache.get('greeting')).toBeUndefined();
  });
});

describe('Redis-backed state through a Redis outage', () => {
  const prefix = `is-test:${process.env.TEST_RUN_ID}:${randomBytes(4).toString('hex')}`;
  let proxy: TcpProxy;
  let node: Instance;

  beforeAll(async () => {
    proxy = TcpProxy.forUrl(TEST_REDIS_URL);
    await proxy.start();
    node = await instance(proxy.rewrite(TEST_REDIS_URL), prefix);
  });
  afterEach(async () => {
    if (!node.redis.isReady) {
      await proxy.start().catch(() => undefined);
    }
  });
  afterAll(async () => {
    await node.close();
    await proxy.stop();
  });

  async function timed<T>(work: Promise<T>): Promise<[T, number]> {
    const started = performance.now();
    const value = await work;
    return [value, performance.now() - started];
  }

  it('never hangs: cache calls return at once and rate limiting falls back per instance', async () => {
    await node.cache.set('k', 'v', 60_000);
    expect(await node.cache.get('k')).toBe('v');
    await proxy.stop();

    const [value, getMs] = await timed(node.cache.get('k'));
    expect(value).toBeUndefined();
    expect(getMs).toBeLessThan(500);
    const [, setMs] = await timed(node.cache.set('k2', 'v2', 60_000));
    expect(setMs).toBeLessThan(500);

    const [record, limitMs] = await timed(
      node.storage.increment('client', 60_000, 5, 60_000, 'default'),
    );
    expect(record).toMatchObject({ totalHits: 1, isBlocked: false });
    expect(limitMs).toBeLessThan(600);
    expect(node.storage.mode).toBe('memory-fallback');

    await proxy.start();
    await eventually('the client to reconnect to Redis', () => node.redis.isReady, {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
    expect(node.redis.isReady).toBe(true);
    await node.storage.increment('client', 60_000, 5, 60_000, 'default');
    expect(node.storage.mode).toBe('redis');
    await node.redis.client!.del(await node.redis.client!.keys(`${prefix}:*`));
  });
});

describe('Redis connection while idle', () => {
  const prefix = `is-test:${process.env.TEST_RUN_ID}:${randomBytes(4).toString('hex')}`;

  // Issue 11, item 8: socketTimeout is node-redis's idle timeout, so an idle connection was
  // closed and rebuilt every socketTimeout (and calls made meanwhile fell back).
  it('stays the same connection while idle for several socket timeouts', async () => {
    const node = await instance(TEST_REDIS_URL, prefix, {
      REDIS_PING_INTERVAL_MS: '200',
      REDIS_SOCKET_TIMEOUT_MS: '500',
    });
    try {
      const client = node.redis.client!;
      const events: string[] = [];
      for (const name of ['error', 'reconnecting', 'end'])
        client.on(name, (error?: Error) => events.push(error ? `${name}: ${error.message}` : name));
      const before = await client.clientId();
      // Real time is what is under test: four socket timeouts of idleness, with pings between.
      await sleep(2000);
      expect(events).toEqual([]);
      expect(await client.clientId()).toBe(before);
    } finally {
      await node.close();
    }
  });
});
