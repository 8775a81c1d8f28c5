import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server, type Socket } from 'node:net';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config.js';
import { buildDataSourceOptions } from '../../src/database/database.options.js';
import { isDatabaseUnavailable } from '../../src/database/database-errors.js';

describe('database pool', () => {
  it('is sized and bounded by configuration', () => {
    const options = buildDataSourceOptions(
      loadConfig({
        DB_POOL_MIN: '2',
        DB_POOL_MAX: '7',
        DB_CONNECT_TIMEOUT_MS: '1500',
        DB_IDLE_TIMEOUT_MS: '5000',
      }),
      'postgres://x@127.0.0.1/db',
    );
    expect(options.synchronize).toBe(false);
    expect(options.extra).toMatchObject({
      min: 2,
      max: 7,
      connectionTimeoutMillis: 1500,
      idleTimeoutMillis: 5000,
    });
  });

  // Issue 17, item 4: PgBouncer refuses a connection asking for statement_timeout at startup.
  it('asks for no session setting through a transaction pooler, and does on the direct URL', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://app@pgbouncer:6432/db',
      DATABASE_DIRECT_URL: 'postgres://owner@db:5432/db',
      DB_TRANSACTION_POOLING: 'true',
      DB_STATEMENT_TIMEOUT_MS: '5000',
    });
    expect(buildDataSourceOptions(config).extra).not.toHaveProperty('statement_timeout');
    expect(buildDataSourceOptions(config).extra).toMatchObject({ query_timeout: 6000 });
    expect(buildDataSourceOptions(config, config.database.directUrl).extra).toMatchObject({
      statement_timeout: 5000,
    });
    const direct = loadConfig({ DATABASE_URL: 'postgres://app@db:5432/db' });
    expect(direct.database.directUrl).toBe('postgres://app@db:5432/db');
    expect(buildDataSourceOptions(direct).extra).toMatchObject({ statement_timeout: 15_000 });
    // Only a pooler: the migrations go through it too, asking for nothing.
    const pooledOnly = loadConfig({
      DATABASE_URL: 'postgres://app@pgbouncer:6432/db',
      DB_TRANSACTION_POOLING: 'true',
    });
    expect(
      buildDataSourceOptions(pooledOnly, pooledOnly.database.directUrl).extra,
    ).not.toHaveProperty('statement_timeout');
  });

  describe('against a server that accepts connections and never answers', () => {
    let blackhole: Server;
    const sockets: Socket[] = [];
    let port: number;

    beforeAll(async () => {
      blackhole = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
      port = (blackhole.address() as { port: number }).port;
    });
    afterAll(async () => {
      sockets.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => blackhole.close(() => resolve()));
    });

    it('fails a query within the connection timeout, as "database unavailable"', async () => {
      const config = loadConfig({ DB_CONNECT_TIMEOUT_MS: '500' });
      const dataSource = new DataSource(
        buildDataSourceOptions(config, `postgres://app@127.0.0.1:${port}/db`),
      );
      const started = performance.now();
      const error = await dataSource.initialize().then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(performance.now() - started).toBeLessThan(2000);
      expect(error).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(error)).toBe(true);
    });
  });
});
