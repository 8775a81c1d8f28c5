import { Injectable, Logger } from '@nestjs/common';
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
import { ReplicaHealth } from '../../database/replica-health.service.js';
import { RedisService } from '../../redis/redis.service.js';

@Injectable()
export class HealthService {
  private readonly logger = new Logger('Health');
  /** The failing checks at the last readiness answer, to log changes rather than every probe. */
  private failing = '';

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisService,
    private readonly rateLimits: RateLimitStorage,
    private readonly shutdown: ShutdownService,
    private readonly config: AppConfig,
    private readonly replicas: ReplicaHealth,
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
    return this.health.check(checks).then(
      (result) => {
        this.noteFailing(result, []);
        return result;
      },
      (error: unknown) => {
        const result = (error as { getResponse?: () => HealthCheckResult }).getResponse?.();
        if (result) this.noteFailing(result, Object.keys(result.error ?? {}));
        throw error;
      },
    );
  }

  private noteFailing(result: HealthCheckResult, failing: string[]): void {
    const now = failing.sort().join(', ');
    if (now === this.failing) return;
    this.failing = now;
    if (now) this.logger.warn({ msg: `Not ready: ${now} down`, details: result.error });
    else this.logger.log('Ready: every check is up');
  }
}
