import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../../config/app-config.js';

/** How long in-flight requests may still run once the server stops listening. */
const IN_FLIGHT_GRACE_MS = 10_000;

/**
 * Graceful shutdown, first step: readiness turns 503 at once so the load balancer stops
 * sending traffic, responses ask clients to close their connections, and the server keeps
 * serving for SHUTDOWN_DRAIN_MS. Then the listener closes, so a late client is refused
 * (ECONNREFUSED, safe to retry elsewhere), and only after it the idle connections. Nest then
 * closes the server (in-flight requests finish, bounded by a grace period) and after it the
 * database pool.
 */
@Injectable()
export class ShutdownService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ShutdownService.name);
  private draining = false;

  constructor(
    private readonly config: AppConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  get isShuttingDown(): boolean {
    return this.draining;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.draining = true;
    this.logger.log(
      `Shutting down (${signal ?? 'close'}): draining for ${this.config.shutdownDrainMs} ms`,
    );
    await sleep(this.config.shutdownDrainMs);
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (server) {
      // The listener first, and alone: http's own close() would close the idle connections in
      // the same step, among them connections just accepted whose request has arrived but is
      // not read yet, which would be reset unanswered. Closing idle connections while still
      // listening is no better: whatever is accepted next is idle in turn when Fastify closes.
      NetServer.prototype.close.call(server);
      // One turn of the event loop: requests already received on accepted connections are
      // read, so those connections are busy (and get their answer) rather than idle.
      await nextTurn();
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), IN_FLIGHT_GRACE_MS).unref();
    }
  }
}
