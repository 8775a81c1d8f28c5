import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import {
  DomainEvents,
  type DomainEvent,
  type RequestMeta,
} from '../../common/events/domain-events.js';
import { RecentWrites } from '../../database/recent-writes.service.js';
import { ActivityBuffer } from './activity-buffer.service.js';
import { ActivityRepository, type ActivityFilter } from './activity.repository.js';
import type { ActivityEventDto, ActivityItemDto, ActivityPageDto } from './dto/activity.dto.js';
import type { UserActivity } from './user-activity.entity.js';

@Injectable()
export class ActivityService {
  constructor(
    private readonly buffer: ActivityBuffer,
    private readonly activities: ActivityRepository,
    private readonly recentWrites: RecentWrites,
  ) {}

  /**
   * The web app's events, answered once committed (group commit); 503 with Retry-After when
   * the buffer is full or the database cannot take them, and then none of them was written.
   */
  async record(userId: string, events: ActivityEventDto[], meta: RequestMeta): Promise<number> {
    const now = new Date();
    await this.buffer.write(
      events.map((event) => ({
        // UUIDs compare as text in the writer's de-duplication: one spelling per id.
        id: event.id?.toLowerCase() ?? null,
        userId,
        action: event.action,
        resource: event.resource ?? null,
        resourceId: event.resourceId ?? null,
        metadata: event.metadata ?? null,
        ipAddress: meta.ip,
        userAgent: meta.userAgent,
        createdAt: now,
        source: 'client',
      })),
    );
    return events.length;
  }

  async page(
    filter: ActivityFilter,
    cursor: string | undefined,
    limit: number,
  ): Promise<ActivityPageDto> {
    const page = await this.activities.page(filter, cursor, limit);
    return { items: page.items.map(toItem), nextCursor: page.nextCursor };
  }

  /** Every event of the user, newest first, for their data export. */
  async exportFor(userId: string): Promise<ExportedActivity[]> {
    const rows = await this.activities.listAllForUser(userId);
    return rows.map(
      ({ action, resource, resourceId, metadata, source, ipAddress, userAgent, createdAt }) => ({
        action,
        resource,
        resourceId,
        metadata,
        source,
        ipAddress,
        userAgent,
        createdAt,
      }),
    );
  }

  /**
   * The server's own events (Auth, Users, Billing, Workspaces), with the caller's address and
   * agent. Every domain event but erasure's (it leaves no trace of the erased user) and the
   * signals that only tell holders of copies to drop them (subscription and membership
   * changes, a workspace about to be deleted).
   */
  @OnEvent(DomainEvents.Registered)
  @OnEvent(DomainEvents.LoggedIn)
  @OnEvent(DomainEvents.LoginFailed)
  @OnEvent(DomainEvents.LoggedOut)
  @OnEvent(DomainEvents.LoggedOutEverywhere)
  @OnEvent(DomainEvents.RefreshTokenReused)
  @OnEvent(DomainEvents.PasswordChanged)
  @OnEvent(DomainEvents.PasswordResetRequested)
  @OnEvent(DomainEvents.PasswordReset)
  @OnEvent(DomainEvents.EmailVerified)
  @OnEvent(DomainEvents.EmailChangeRequested)
  @OnEvent(DomainEvents.EmailChanged)
  @OnEvent(DomainEvents.SessionEnded)
  @OnEvent(DomainEvents.OtherSessionsEnded)
  @OnEvent(DomainEvents.Reauthenticated)
  @OnEvent(DomainEvents.MfaEnabled)
  @OnEvent(DomainEvents.MfaDisabled)
  @OnEvent(DomainEvents.RecoveryCodesRegenerated)
  @OnEvent(DomainEvents.RecoveryCodeUsed)
  @OnEvent(DomainEvents.IdentityLinked)
  @OnEvent(DomainEvents.IdentityUnlinked)
  @OnEvent(DomainEvents.PasskeyAdded)
  @OnEvent(DomainEvents.PasskeyRemoved)
  @OnEvent(DomainEvents.PasskeyCounterRegression)
  @OnEvent(DomainEvents.RoleChanged)
  @OnEvent(DomainEvents.ActiveChanged)
  @OnEvent(DomainEvents.SessionsEndedByAdmin)
  @OnEvent(DomainEvents.PlanChanged)
  @OnEvent(DomainEvents.WorkspaceCreated)
  @OnEvent(DomainEvents.WorkspaceRenamed)
  @OnEvent(DomainEvents.WorkspaceDeleted)
  @OnEvent(DomainEvents.WorkspaceMemberAdded)
  @OnEvent(DomainEvents.WorkspaceMemberRemoved)
  @OnEvent(DomainEvents.WorkspaceMemberRoleChanged)
  @OnEvent(DomainEvents.WorkspaceInvitationSent)
  @OnEvent(DomainEvents.WorkspaceInvitationAccepted)
  @OnEvent(DomainEvents.WorkspaceInvitationRevoked)
  private recordDomainEvent(event: DomainEvent): void {
    this.buffer.enqueue([
      {
        id: null,
        userId: event.userId,
        action: event.name,
        resource: null,
        resourceId: null,
        metadata: event.metadata ?? null,
        ipAddress: event.ip,
        userAgent: event.userAgent,
        createdAt: event.occurredAt,
        source: 'server',
      },
    ]);
    // Unauthenticated writes (register, login) are not marked by RecentWriteInterceptor.
    if (event.userId) void this.recentWrites.markWrite(event.userId);
  }
}

/** Everything recorded of a user, for their export: without ids, which are the server's. */
export type ExportedActivity = Omit<ActivityItemDto, 'id' | 'userId'>;

function toItem(row: UserActivity): ActivityItemDto {
  return {
    id: row.id,
    userId: row.userId,
    action: row.action,
    resource: row.resource,
    resourceId: row.resourceId,
    metadata: row.metadata,
    source: row.source,
    ipAddress: row.ipAddress,
    userAgent: row.userAgent,
    createdAt: row.createdAt,
  };
}
