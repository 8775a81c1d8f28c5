import { Injectable } from '@nestjs/common';
import {
  HealthIndicatorFunction,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { ShutdownService } from '../../common/lifecycle/shutdown.service.js';
import { RateLimitStorage } from '../../common/rate-limit/rate-limit.storage.js';
import { AppConfig } from '../../config/app-config.js';
import { ReplicaHealth } from '../../database/replica-health.service.js';
import { RedisService } from '../../redis/redis.service.js';

/** PostgreSQL, and Redis when configured, each bounded by HEALTH_CHECK_TIMEOUT_MS. */
@Injectable()
export class ConnectionChecks {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisService,
    private readonly rateLimits: RateLimitStorage,
    private readonly config: AppConfig,
  ) {}

  list(): HealthIndicatorFunction[] {
    const timeout = this.config.healthCheckTimeoutMs;
    const checks: HealthIndicatorFunction[] = [
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
    return checks;
  }
}

/**
 * The instance's own state: down while shutting down; replicas reported but never failing
 * readiness (their reads fall back to the primary).
 */
@Injectable()
export class StateChecks {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly shutdown: ShutdownService,
    private readonly replicas: ReplicaHealth,
  ) {}

  lifecycle(): HealthIndicatorFunction {
    return () => {
      const session = this.indicators.check('lifecycle');
      return this.shutdown.isShuttingDown
        ? session.down({ message: 'shutting down' })
        : session.up();
    };
  }

  replicaStates(): HealthIndicatorFunction[] {
    if (!this.replicas.enabled) return [];
    return [
      () => {
        const replicas = Object.fromEntries(
          this.replicas.status().map(({ name, ...state }) => [name, state]),
        );
        return this.indicators.check('replicas').up(replicas);
      },
    ];
  }
}
