import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../../config/app-config.js';

/** How long in-flight requests may still run once the server stops listening. */
const IN_FLIGHT_GRACE_MS = 10_000;

/**
 * Graceful shutdown, first step: readiness turns 503 at once so the load balancer stops
 * sending traffic, responses ask clients to close their connections, and the server keeps
 * serving for SHUTDOWN_DRAIN_MS. Nest then closes the server (in-flight requests finish,
 * bounded by a grace period) and after it the database pool.
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
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), IN_FLIGHT_GRACE_MS).unref();
    }
  }
}
