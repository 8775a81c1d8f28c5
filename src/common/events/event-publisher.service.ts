import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { DomainEvent, DomainEventName, RequestMeta } from './domain-events.js';

@Injectable()
export class EventPublisher {
  private readonly logger = new Logger(EventPublisher.name);

  constructor(private readonly emitter: EventEmitter2) {}

  /** Fire and forget: a failing listener is logged and never fails the request. */
  publish(
    name: DomainEventName,
    userId: string | null,
    meta: RequestMeta,
    metadata?: Record<string, unknown>,
  ): void {
    const event: DomainEvent = { name, userId, ...meta, occurredAt: new Date(), metadata };
    this.emitter.emitAsync(name, event).catch((error: Error) => {
      this.logger.error({ err: error, event: name }, 'Domain event listener failed');
    });
  }

  /** Waits for every listener; a failing listener fails the caller. */
  async publishAndWait(name: DomainEventName, userId: string, meta: RequestMeta): Promise<void> {
    const event: DomainEvent = { name, userId, ...meta, occurredAt: new Date() };
    await this.emitter.emitAsync(name, event);
  }
}
