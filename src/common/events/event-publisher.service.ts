import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type {
  DomainEvent,
  DomainEventMetadataArgs,
  DomainEventName,
  RequestMeta,
} from './domain-events.js';

@Injectable()
export class EventPublisher {
  private readonly logger = new Logger(EventPublisher.name);

  constructor(private readonly emitter: EventEmitter2) {}

  /** Fire and forget: a failing listener is logged and never fails the request. */
  publish<N extends DomainEventName>(
    name: N,
    userId: string | null,
    meta: RequestMeta,
    ...[metadata]: DomainEventMetadataArgs<N>
  ): void {
    const event = { name, userId, ...meta, occurredAt: new Date(), metadata } as DomainEvent<N>;
    this.emitter.emitAsync(name, event).catch((error: Error) => {
      this.logger.error({ err: error, event: name }, 'Domain event listener failed');
    });
  }

  /** Waits for every listener; a failing listener fails the caller. */
  async publishAndWait<N extends DomainEventName>(
    name: N,
    userId: string,
    meta: RequestMeta,
    ...[metadata]: DomainEventMetadataArgs<N>
  ): Promise<void> {
    const event = { name, userId, ...meta, occurredAt: new Date(), metadata } as DomainEvent<N>;
    await this.emitter.emitAsync(name, event);
  }
}
