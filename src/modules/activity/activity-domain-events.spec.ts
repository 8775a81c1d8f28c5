import { describe, expect, it } from '@jest/globals';
import { EVENT_LISTENER_METADATA, type OnEventMetadata } from '@nestjs/event-emitter';
import { DomainEvents } from '../../common/events/domain-events.js';
import { ActivityService } from './activity.service.js';

describe(`${ActivityService.name} domain event listeners`, () => {
  it('records every domain event except erasure and the cache and billing signals, each once', () => {
    const listened = (
      Reflect.getMetadata(
        EVENT_LISTENER_METADATA,
        ActivityService.prototype['recordDomainEvent'],
      ) as OnEventMetadata[]
    ).map(({ event }) => event);
    const expected = Object.values(DomainEvents).filter(
      (name) =>
        name !== DomainEvents.ErasureRequested &&
        name !== DomainEvents.Erasing &&
        name !== DomainEvents.Erased &&
        name !== DomainEvents.SubscriptionChanged &&
        name !== DomainEvents.WorkspaceMembershipChanged &&
        name !== DomainEvents.WorkspaceDeleting,
    );
    expect([...listened].sort()).toEqual([...expected].sort());
  });
});
