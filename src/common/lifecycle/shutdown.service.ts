import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../../config/app-config.js';

/**
 * Graceful shutdown, first step: readiness turns 503 at once so the load balancer stops
 * sending traffic, and the server keeps serving for SHUTDOWN_DRAIN_MS before Nest closes
 * it (in-flight requests finish) and then the database pool.
 */
@Injectable()
export class ShutdownService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ShutdownService.name);
  private draining = false;

  constructor(private readonly config: AppConfig) {}

  get isShuttingDown(): boolean {
    return this.draining;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.draining = true;
    this.logger.log(`Shutting down (${signal ?? 'close'}): draining for ${this.config.shutdownDrainMs} ms`);
    await sleep(this.config.shutdownDrainMs);
  }
}
