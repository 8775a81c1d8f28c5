import type { Pool, PoolClient } from 'pg';

const GUARDED = Symbol('client-errors-guarded');

/**
 * pg-pool listens for a client's 'error' only while the client is idle, and a client's user
 * (TypeORM's query runner, pool.query) only while it holds it. A connection the server ends
 * (a restart, a failover, pg_terminate_backend) at a moment when neither listens emits an
 * 'error' nobody handles, and that stops the process. Each client of `pool` gets one listener
 * for its whole life, on its first checkout: the error is reported, the query in flight (if
 * any) still fails on its own, and the pool drops the broken client when it is released.
 */
export function guardClientErrors(pool: Pool, report: (error: Error) => void): void {
  pool.on('acquire', (client: PoolClient & { [GUARDED]?: true }) => {
    if (client[GUARDED]) return;
    client[GUARDED] = true;
    client.on('error', report);
  });
}
