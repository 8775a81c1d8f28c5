import { Injectable, Logger } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { ConnectionChecks, StateChecks } from './health-checks.js';

@Injectable()
export class HealthService {
  private readonly logger = new Logger('Health');
  /** The failing checks at the last readiness answer, to log changes rather than every probe. */
  private failing = '';

  constructor(
    private readonly health: HealthCheckService,
    private readonly connections: ConnectionChecks,
    private readonly state: StateChecks,
  ) {}

  /**
   * PostgreSQL, and Redis when configured, each bounded by HEALTH_CHECK_TIMEOUT_MS. Replicas
   * are reported but never fail readiness: their reads fall back to the primary.
   */
  readiness(): Promise<HealthCheckResult> {
    const checks = [
      this.state.lifecycle(),
      ...this.connections.list(),
      ...this.state.replicaStates(),
    ];
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
