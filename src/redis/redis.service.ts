import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import {
  createClient,
  createSentinel,
  type RedisClientOptions,
  type RedisClientType,
  type RedisSentinelType,
} from '@keyv/redis';
import { AppConfig } from '../config/app-config.js';

/** Rejects after `ms` so that no caller ever waits on Redis for longer than it allows. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A server of its own (REDIS_URL), or whichever server the sentinels name primary. */
export type RedisConnection = RedisClientType | RedisSentinelType;

/** How long a first connection through Sentinel waits before it is tried again. */
const SENTINEL_RETRY_MS = 2000;
/**
 * A rediscovery from the sentinels this often, besides their switch-master messages: a
 * promotion announced while the client was between sentinels is still found.
 */
const SENTINEL_SCAN_MS = 5000;

/**
 * The one Redis connection of an instance (cache, rate limits, token versions), present
 * only when REDIS_URL or REDIS_SENTINELS is set. Commands fail at once while Redis is
 * unreachable rather than queueing: the offline queue is off, so an outage costs a fast
 * error, never a hang.
 *
 * With REDIS_SENTINELS, node-redis's Sentinel client asks the sentinels for the master
 * group's primary, and on their switch-master message (or the periodic rediscovery) moves
 * its connection to the promoted replica, without a restart. Between the primary's loss and
 * the promotion, `isReady` is false, so every caller takes its fallback at once instead of
 * waiting on the client's rediscovery.
 */
@Injectable()
export class RedisService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisService.name);
  readonly client: RedisConnection | undefined;
  readonly keyPrefix: string;
  private readonly sentinel: RedisSentinelType | undefined;
  private wasReady = false;
  private closing = false;

  constructor(config: AppConfig) {
    this.keyPrefix = config.redis.keyPrefix;
    const { url, sentinel } = config.redis;
    if (!url && !sentinel) return;
    const options: RedisClientOptions = {
      disableOfflineQueue: true,
      // socketTimeout is an idle timeout (Node's socket.setTimeout: no byte read or written),
      // not a per-command one: PINGs more often than it keep a healthy idle connection open,
      // so it closes only a connection whose peer has stopped answering (rate limits and
      // health checks also bound each wait with withTimeout).
      pingInterval: config.redis.pingIntervalMs,
      socket: {
        connectTimeout: 2000,
        socketTimeout: config.redis.socketTimeoutMs,
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 5), 2000),
      },
    };
    if (sentinel) {
      this.sentinel = createSentinel({
        name: sentinel.name,
        sentinelRootNodes: sentinel.nodes,
        nodeClientOptions: { ...options, ...credentialsOf(url) },
        sentinelClientOptions: {
          password: sentinel.password,
          socket: { connectTimeout: 2000 },
        },
        // One connection to the primary, reserved for this service's commands: they pipeline
        // on it as on a plain client.
        reserveClient: true,
        scanInterval: SENTINEL_SCAN_MS,
      }) as RedisSentinelType;
      this.client = this.sentinel;
      // Errors of the sentinel and node connections (their reconnects, a sentinel that is
      // down) arrive here and as client-error events: logged once per outage.
      this.sentinel.on('error', () => undefined);
      this.sentinel.on('client-error', (event: { type: string; error: Error }) => {
        if (event.type === 'MASTER') this.unavailable(event.error);
      });
      this.sentinel.on('topology-change', (event: { type: string; node?: RedisNode }) => {
        if (event.type !== 'MASTER_CHANGE' || !event.node) return;
        this.logger.log(`Redis primary is ${event.node.host}:${event.node.port} (Sentinel)`);
        this.wasReady = true;
      });
      return;
    }
    const client = createClient({ url, ...options }) as RedisClientType;
    this.client = client;
    client.on('error', (error: Error) => this.unavailable(error));
    client.on('ready', () => {
      this.wasReady = true;
      this.logger.log('Redis connected');
    });
  }

  get enabled(): boolean {
    return this.client !== undefined;
  }

  /**
   * Whether a command can be sent now. Through Sentinel: the client is connected and its
   * connection to the primary is up (false from a primary's loss until the promotion).
   */
  get isReady(): boolean {
    if (this.sentinel) {
      return this.sentinel.isReady && this.sentinel.getMasterNode() !== undefined;
    }
    return this.client?.isReady ?? false;
  }

  /** The primary's address, through Sentinel; undefined otherwise or while there is none. */
  get primary(): RedisNode | undefined {
    return this.sentinel?.isReady ? this.sentinel.getMasterNode() : undefined;
  }

  /** Prefixes a key with this deployment's namespace. */
  key(...parts: string[]): string {
    return [this.keyPrefix, ...parts].join(':');
  }

  async ping(timeoutMs: number): Promise<void> {
    if (!this.client) return;
    if (!this.isReady) throw new Error('Redis is not connected');
    await withTimeout(this.client.ping(), timeoutMs, 'Redis PING');
  }

  async onModuleInit(): Promise<void> {
    if (!this.client) return;
    // Boot does not wait for Redis: readiness reports it, and commands fail fast meanwhile.
    const connecting = this.sentinel
      ? this.connectThroughSentinel(this.sentinel)
      : (this.client as RedisClientType).connect().then(
          () => undefined,
          (error: Error) => this.logger.warn(`Redis connection failed: ${error.message}`),
        );
    await withTimeout(connecting, 2000, 'Redis connect').catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    if (!this.client?.isOpen) return;
    await this.client.close().catch(() => this.client?.destroy());
  }

  private unavailable(error: Error): void {
    if (this.wasReady) this.logger.warn(`Redis unavailable: ${error.message}`);
    this.wasReady = false;
  }

  /**
   * The Sentinel client's first connection gives up after some tries (no sentinel answers,
   * or none names a primary); unlike a plain client's reconnects, it is not tried again by
   * itself. Once connected, the client follows failovers on its own.
   */
  private async connectThroughSentinel(sentinel: RedisSentinelType): Promise<void> {
    for (let attempt = 1; !this.closing; attempt++) {
      try {
        await sentinel.connect();
        this.wasReady = true;
        return;
      } catch (error) {
        if (attempt === 1) {
          this.logger.warn(`Redis connection through Sentinel failed: ${(error as Error).message}`);
        }
        await sentinel.destroy().catch(() => undefined);
        await sleep(SENTINEL_RETRY_MS);
      }
    }
  }
}

interface RedisNode {
  host: string;
  port: number;
}

/** The data nodes' user, password and database from REDIS_URL, when it is set. */
function credentialsOf(url: string | undefined): Partial<RedisClientOptions> {
  if (!url) return {};
  const parsed = new URL(url);
  const database = parsed.pathname.replace(/^\//, '');
  return {
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    database: database ? Number(database) : undefined,
  };
}
