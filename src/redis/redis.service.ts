import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { createClient, type RedisClientType } from '@keyv/redis';
import { AppConfig } from '../config/app-config.js';

/** Rejects after `ms` so that no caller ever waits on Redis for longer than it allows. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The one Redis connection of an instance (cache, rate limits, token versions), present
 * only when REDIS_URL is set. Commands fail at once while Redis is unreachable rather than
 * queueing: the offline queue is off, so an outage costs a fast error, never a hang.
 */
@Injectable()
export class RedisService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisService.name);
  readonly client: RedisClientType | undefined;
  readonly keyPrefix: string;
  private wasReady = false;

  constructor(config: AppConfig) {
    this.keyPrefix = config.redis.keyPrefix;
    if (!config.redis.url) return;
    this.client = createClient({
      url: config.redis.url,
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
    }) as RedisClientType;
    this.client.on('error', (error: Error) => {
      if (this.wasReady) this.logger.warn(`Redis unavailable: ${error.message}`);
      this.wasReady = false;
    });
    this.client.on('ready', () => {
      this.wasReady = true;
      this.logger.log('Redis connected');
    });
  }

  get enabled(): boolean {
    return this.client !== undefined;
  }

  get isReady(): boolean {
    return this.client?.isReady ?? false;
  }

  /** Prefixes a key with this deployment's namespace. */
  key(...parts: string[]): string {
    return [this.keyPrefix, ...parts].join(':');
  }

  async ping(timeoutMs: number): Promise<void> {
    if (!this.client) return;
    await withTimeout(this.client.ping(), timeoutMs, 'Redis PING');
  }

  async onModuleInit(): Promise<void> {
    if (!this.client) return;
    // Boot does not wait for Redis: readiness reports it, and commands fail fast meanwhile.
    const connecting = this.client.connect().catch((error: Error) => {
      this.logger.warn(`Redis connection failed: ${error.message}`);
    });
    await withTimeout(connecting, 2000, 'Redis connect').catch(() => undefined);
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.client?.isOpen) return;
    await this.client.close().catch(() => this.client?.destroy());
  }
}
