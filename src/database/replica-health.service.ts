import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { guardClientErrors } from './pool-client-errors.js';
import { poolOptions } from './database.options.js';
import { parseLsn, ReplicaLagClock } from './replica-lag.js';

export type ReplicaState = 'starting' | 'up' | 'lagging' | 'down';

export interface ReplicaStatus {
  name: string;
  state: ReplicaState;
  /** Time behind the primary, ms; null when it could not be measured. */
  lagMs: number | null;
  /** Why a replica is skipped, in general terms: readiness is public, the log has details. */
  reason?: 'unreachable' | 'not a standby';
}

/** A read replica, its pool, and what its last check found. */
export interface Replica extends ReplicaStatus {
  pool: pg.Pool;
}

/**
 * Watches the read replicas: each is checked every REPLICA_CHECK_INTERVAL_MS and is 'up' only
 * while it is a standby no further behind than REPLICA_MAX_LAG_MS. Its state feeds ReadRouter
 * (only 'up' replicas take reads), readiness and the metrics.
 *
 * The replicas have their own pg pools rather than TypeORM's replication option: TypeORM opens
 * every replica at boot (one that is down stops the boot) and picks one at random with no
 * notion of health, while a replica outage must neither stop the API nor fail readiness.
 */
@Injectable()
export class ReplicaHealth implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReplicaHealth.name);
  readonly replicas: readonly Replica[];
  private readonly clock: ReplicaLagClock;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    const db = config.database;
    this.clock = new ReplicaLagClock(
      Math.max(2 * db.replicaMaxLagMs, 10 * db.replicaCheckIntervalMs, 60_000),
    );
    this.replicas = db.replicaUrls.map((url, index) => {
      const name = `replica-${index + 1}`;
      const pool = new pg.Pool({
        connectionString: url,
        ...poolOptions(config, url),
        application_name: 'insightsheet-api-reads',
      });
      // An idle connection dropped by a stopped replica must not crash the process.
      pool.on('error', (error) => this.markDown(this.replicas[index], error));
      guardClientErrors(pool, (error) => this.markDown(this.replicas[index], error));
      return { name, pool, state: 'starting', lagMs: null };
    });
  }

  get enabled(): boolean {
    return this.replicas.length > 0;
  }

  status(): ReplicaStatus[] {
    return this.replicas.map(({ name, state, lagMs, reason }) =>
      reason ? { name, state, lagMs, reason } : { name, state, lagMs },
    );
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    for (const replica of this.replicas)
      this.logger.log(`${replica.name}: ${describe(replica.pool.options.connectionString)}`);
    void this.check();
    this.timer = setInterval(() => void this.check(), this.config.database.replicaCheckIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.checking;
    await Promise.all(this.replicas.map((replica) => replica.pool.end().catch(() => undefined)));
  }

  /** Takes `replica` out of the reads until a check finds it usable again. */
  markDown(replica: Replica, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.setState(replica, 'down', null, 'unreachable', message);
  }

  /** One round of checks; a round still running when the next is due is not doubled. */
  private check(): Promise<void> {
    this.checking ??= this.checkAll().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async checkAll(): Promise<void> {
    try {
      const [{ lsn }] = await this.withTimeout(
        this.dataSource.query<{ lsn: string }[]>('SELECT pg_current_wal_lsn()::text AS lsn'),
      );
      this.clock.recordPrimary(parseLsn(lsn), Date.now());
    } catch {
      // The primary is unreachable: lag is judged against the last samples taken.
    }
    await Promise.all(this.replicas.map((replica) => this.checkReplica(replica)));
  }

  private async checkReplica(replica: Replica): Promise<void> {
    try {
      const { rows } = await this.withTimeout(
        replica.pool.query<{ standby: boolean; replayed: string | null }>(
          'SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed',
        ),
      );
      const [{ standby, replayed }] = rows;
      if (!standby || replayed === null) {
        this.setState(replica, 'down', null, 'not a standby');
        return;
      }
      const lag = this.clock.lagOf(parseLsn(replayed), Date.now());
      if (!lag) this.setState(replica, 'starting', null);
      else if (lag.atLeast || lag.ms > this.config.database.replicaMaxLagMs)
        this.setState(replica, 'lagging', lag.ms);
      else this.setState(replica, 'up', lag.ms);
    } catch (error) {
      this.markDown(replica, error);
    }
  }

  private setState(
    replica: Replica,
    state: ReplicaState,
    lagMs: number | null,
    reason?: ReplicaStatus['reason'],
    cause?: string,
  ) {
    const was = replica.state;
    replica.state = state;
    replica.lagMs = lagMs;
    replica.reason = reason;
    if (was === state) return;
    const why = cause ?? reason;
    const detail = `${replica.name} is ${state}${lagMs === null ? '' : ` (${lagMs} ms behind)`}${why ? `: ${why}` : ''}`;
    if (state === 'up') this.logger.log(detail);
    else this.logger.warn(`${detail}; its reads go to the primary`);
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    const ms = this.config.healthCheckTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
}

/** A replica's address for the logs, without its credentials. */
function describe(url: string | undefined): string {
  if (!url) return 'unknown';
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}
