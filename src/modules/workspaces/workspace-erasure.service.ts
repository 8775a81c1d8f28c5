import { ConflictException, Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { DomainEvents, type DomainEvent } from '../../common/events/domain-events.js';
import { WorkspacesRepository } from './workspaces.repository.js';
import { SOLE_OWNER, WorkspacesService } from './workspaces.service.js';

/**
 * A user's erasure and their workspaces. Refused (409) while they are the only owner of a
 * workspace that has other members: those members must not be left without an owner, and
 * deleting their workspace under them is not the erased user's to do. Otherwise a workspace
 * they are alone in is deleted with them (its subscription cancelled first, through
 * WorkspaceDeleting), and they leave the others, seats moving as for any removal.
 */
@Injectable()
export class WorkspaceErasure {
  constructor(
    private readonly workspaces: WorkspacesService,
    private readonly repository: WorkspacesRepository,
  ) {}

  /**
   * Before anything of the erasure is done, Billing's cancellation included. Errors are not
   * suppressed (the event emitter's default): the refusal must reach the caller.
   */
  @OnEvent(DomainEvents.ErasureRequested, { async: true, promisify: true, suppressErrors: false })
  async onErasureRequested(
    event: DomainEvent<typeof DomainEvents.ErasureRequested>,
  ): Promise<void> {
    if (!event.userId) return;
    const memberships = await this.repository.membershipsOf(event.userId);
    if (memberships.some(isSoleOwnerAmongOthers)) throw new ConflictException(SOLE_OWNER);
  }

  @OnEvent(DomainEvents.Erasing, { async: true, promisify: true, suppressErrors: false })
  async onErasing(event: DomainEvent<typeof DomainEvents.Erasing>): Promise<void> {
    const userId = event.userId;
    if (!userId) return;
    const meta = { ip: event.ip, userAgent: event.userAgent };
    for (const membership of await this.repository.membershipsOf(userId)) {
      if (membership.members > 1) {
        await this.workspaces.removeForErasure(membership.workspaceId, userId);
        continue;
      }
      await this.workspaces.deleteWorkspace(
        membership.workspaceId,
        userId,
        meta,
        async (manager) => {
          // Someone joined while Billing was cancelling: they keep the workspace, and the
          // erasure stops here (it can be asked for again).
          const members = await this.repository.memberIds(membership.workspaceId, manager);
          if (members.some((id) => id !== userId)) throw new ConflictException(SOLE_OWNER);
        },
        false,
      );
    }
  }
}

function isSoleOwnerAmongOthers(membership: { role: string; members: number; owners: number }) {
  return membership.role === 'owner' && membership.owners === 1 && membership.members > 1;
}
