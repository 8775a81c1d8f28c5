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
