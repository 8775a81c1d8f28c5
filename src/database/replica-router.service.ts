import { CACHE_MANAGER } from '@nestjs/cache-manager';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Cache } from 'cache-manager';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from './database-errors.js';
import { AppConfig } from '../config/app-config.js';
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

/** Runs one SQL statement on the connection a read was given. */
export type ReadQuery = <T>(sql: string, parameters?: unknown[]) => Promise<T[]>;

interface Replica extends ReplicaStatus {
  pool: pg.Pool;
}

/** SQLSTATE 40001 on a standby: a query cancelled by a conflict with WAL replay. */
const RECOVERY_CONFLICT = '40001';

/**
 * Sends reads that tolerate a little staleness (analytics, activity history) to a healthy
 * replica and everything else to the primary. Each replica is checked every
 * REPLICA_CHECK_INTERVAL_MS; one that is down, not a standby, or further behind than
 * REPLICA_MAX_LAG_MS is skipped, and a read that fails on a replica is run again on the
 * primary. A user who wrote recently reads from the primary (read-your-writes): writes mark
 * the user in the shared cache for the replication lag budget.
 *
 * The replicas have their own pg pools rather than TypeORM's replication option: TypeORM opens
 * every replica at boot (one that is down stops the boot) and picks one at random with no
 * notion of health, while a replica outage must neither stop the API nor fail readiness.
 */
@Injectable()
export class ReplicaRouter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ReplicaRouter.name);
  private readonly replicas: Replica[];
  private readonly clock: ReplicaLagClock;
  /** Marks this process wrote to the cache, and when they lapse: spares repeated writes. */
  private readonly localMarks = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private next = 0;

  constructor(
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
  ) {
    const db = config.database;
    this.clock = new ReplicaLagClock(
      Math.max(2 * db.replicaMaxLagMs, 10 * db.replicaCheckIntervalMs, 60_000),
    );
    this.replicas = db.replicaUrls.map((url, index) => {
      const name = `replica-${index + 1}`;
      const pool = new pg.Pool({
        connectionString: url,
        ...poolOptions(config),
        application_name: 'insightsheet-api-reads',
      });
      // An idle connection dropped by a stopped replica must not crash the process.
      pool.on('error', (error) => this.markDown(this.replicas[index], error));
      return { name, pool, state: 'starting', lagMs: null };
    });
  }

  get enabled(): boolean {
    return this.replicas.length > 0;
  }

  /** How long a write keeps its writer on the primary: lag budget, check period, batching. */
  get writeWindowMs(): number {
    const db = this.config.database;
    return db.replicaMaxLagMs + 2 * db.replicaCheckIntervalMs + this.config.activity.flushMs;
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

  /**
   * Runs `work` on one connection of a usable replica, or of the primary when there is none,
   * when `writer` wrote recently, or when the replica fails mid-read.
   */
  async read<T>(work: (query: ReadQuery) => Promise<T>, writer?: string): Promise<T> {
    // The writer's mark is looked up only when a replica could take the read at all.
    const usable = this.pick();
    const replica = usable && !(writer && (await this.wroteRecently(writer))) ? usable : undefined;
    if (replica) {
      try {
        return await this.onReplica(replica, work);
      } catch (error) {
        if (!isDatabaseUnavailable(error) && !isRecoveryConflict(error)) throw error;
        if (isDatabaseUnavailable(error)) this.markDown(replica, error);
      }
    }
    const runner = this.dataSource.createQueryRunner('master');
    try {
      return await work((sql, parameters) => runner.query(sql, parameters));
    } finally {
      await runner.release();
    }
  }

  /** Keeps `userId`'s replica reads on the primary until its writes have replicated. */
  async markWrite(userId: string): Promise<void> {
    if (!this.enabled) return;
    const now = Date.now();
    const window = this.writeWindowMs;
    const lapses = this.localMarks.get(userId);
    if (lapses !== undefined && lapses - now > window / 2) return;
    this.localMarks.set(userId, now + window);
    if (this.localMarks.size > 10_000) this.pruneLocalMarks(now);
    await this.cache.set(this.markKey(userId), 1, window).catch(() => undefined);
  }

  private async wroteRecently(userId: string): Promise<boolean> {
    const lapses = this.localMarks.get(userId);
    if (lapses !== undefined && lapses > Date.now()) return true;
    // With the cache unreachable the answer is unknown: the primary is the safe side.
    const mark = await this.cache.get(this.markKey(userId)).catch(() => 1);
    return mark !== undefined && mark !== null;
  }

  private markKey(userId: string): string {
    return `recent-write:${userId}`;
  }

  private pruneLocalMarks(now: number): void {
    for (const [userId, lapses] of this.localMarks)
      if (lapses <= now) this.localMarks.delete(userId);
  }

  /** The next usable replica, in turn. */
  private pick(): Replica | undefined {
    const count = this.replicas.length;
    for (let step = 0; step < count; step += 1) {
      const replica = this.replicas[(this.next + step) % count];
      if (replica.state === 'up') {
        this.next = (this.next + step + 1) % count;
        return replica;
      }
    }
    return undefined;
  }

  private async onReplica<T>(replica: Replica, work: (query: ReadQuery) => Promise<T>): Promise<T> {
    const client = await replica.pool.connect();
    let failure: unknown;
    try {
      return await work(async <R>(sql: string, parameters?: unknown[]) => {
        const result = await client.query(sql, parameters);
        return result.rows as R[];
      });
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      // A connection that failed is discarded rather than returned to the pool.
      client.release(isDatabaseUnavailable(failure) ? (failure as Error) : undefined);
    }
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

  private markDown(replica: Replica, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.setState(replica, 'down', null, 'unreachable', message);
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

function isRecoveryConflict(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === RECOVERY_CONFLICT;
}

/** A replica's address for the logs, without its credentials. */
function describe(url: string | undefined): string {
  if (!url) return 'unknown';
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}
