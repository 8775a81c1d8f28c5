import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from './database-errors.js';
import { ReaderContext } from './reader-context.js';
import { RecentWrites } from './recent-writes.service.js';
import { ReplicaHealth, type Replica } from './replica-health.service.js';

/** Runs one SQL statement on the connection a read was given. */
export type ReadQuery = <T>(sql: string, parameters?: unknown[]) => Promise<T[]>;

/** SQLSTATE 40001 on a standby: a query cancelled by a conflict with WAL replay. */
const RECOVERY_CONFLICT = '40001';

/**
 * Sends reads that tolerate a little staleness (analytics, activity history) to a healthy
 * replica, in turn, and everything else to the primary. A replica ReplicaHealth does not
 * report 'up' is skipped, and a read that fails on a replica is run again on the primary.
 * The reader (ReaderContext) reads from the primary after a write of theirs (RecentWrites).
 */
@Injectable()
export class ReadRouter {
  private next = 0;

  constructor(
    private readonly health: ReplicaHealth,
    private readonly recentWrites: RecentWrites,
    private readonly readers: ReaderContext,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /**
   * Runs `work` on one connection of a usable replica, or of the primary when there is none,
   * when the reader wrote recently, or when the replica fails mid-read.
   */
  async read<T>(work: (query: ReadQuery) => Promise<T>): Promise<T> {
    // The reader's mark is looked up only when a replica could take the read at all.
    const usable = this.pick();
    const reader = usable && this.readers.reader;
    const replica =
      usable && !(reader && (await this.recentWrites.wroteRecently(reader))) ? usable : undefined;
    if (replica) {
      try {
        return await this.onReplica(replica, work);
      } catch (error) {
        if (!isDatabaseUnavailable(error) && !isRecoveryConflict(error)) throw error;
        if (isDatabaseUnavailable(error)) this.health.markDown(replica, error);
      }
    }
    const runner = this.dataSource.createQueryRunner('master');
    try {
      return await work((sql, parameters) => runner.query(sql, parameters));
    } finally {
      await runner.release();
    }
  }

  /** The next usable replica, in turn. */
  private pick(): Replica | undefined {
    const replicas = this.health.replicas;
    const count = replicas.length;
    for (let step = 0; step < count; step += 1) {
      const replica = replicas[(this.next + step) % count];
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
}

function isRecoveryConflict(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === RECOVERY_CONFLICT;
}
