import { Injectable } from '@nestjs/common';
import {
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorFunction,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { RateLimitStorage } from '../../common/rate-limit/rate-limit.storage.js';
import { ShutdownService } from '../../common/lifecycle/shutdown.service.js';
import { AppConfig } from '../../config/app-config.js';
import { ReplicaRouter } from '../../database/replica-router.service.js';
import { RedisService } from '../../redis/redis.service.js';

@Injectable()
export class HealthService {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisService,
    private readonly rateLimits: RateLimitStorage,
    private readonly shutdown: ShutdownService,
    private readonly config: AppConfig,
    private readonly replicas: ReplicaRouter,
  ) {}

  /**
   * PostgreSQL, and Redis when configured, each bounded by HEALTH_CHECK_TIMEOUT_MS. Replicas
   * are reported but never fail readiness: their reads fall back to the primary.
   */
  readiness(): Promise<HealthCheckResult> {
    const timeout = this.config.healthCheckTimeoutMs;
    const checks: HealthIndicatorFunction[] = [
      () => {
        const session = this.indicators.check('lifecycle');
        return this.shutdown.isShuttingDown
          ? session.down({ message: 'shutting down' })
          : session.up();
      },
      () => this.database.pingCheck('database').withTimeout(timeout),
    ];
    if (this.redis.enabled) {
      checks.push(() =>
        this.indicators
          .check('redis')
          .attempt(async () => {
            await this.redis.ping(timeout);
            return { rateLimits: this.rateLimits.mode };
          })
          .withTimeout(timeout),
      );
    }
    if (this.replicas.enabled) {
      checks.push(() => {
        const replicas = Object.fromEntries(
          this.replicas.status().map(({ name, ...state }) => [name, state]),
        );
        return this.indicators.check('replicas').up(replicas);
      });
    }
    return this.health.check(checks);
  }
}
