import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { BY_ADMINISTRATOR, DomainEvents } from '../../common/events/domain-events.js';
import { EmailNotVerifiedException } from '../../common/errors/email-not-verified.exception.js';
import { EventPublisher } from '../../common/events/event-publisher.service.js';
import type { AdminUpdateUserDto, UserDto } from '../users/dto/user.dto.js';
import { UsersService } from '../users/users.service.js';
import type { SessionDto } from './dto/session.dto.js';
import { TokenRevocation } from './token-revocation.service.js';
import { UserSessionsService } from './user-sessions.service.js';

/** An administrator's changes to a user's role and active flag. */
@Injectable()
export class AccessAdministration {
  constructor(
    private readonly users: UsersService,
    private readonly revocation: TokenRevocation,
    private readonly events: EventPublisher,
    private readonly sessions: UserSessionsService,
  ) {}

  /** A user's live sessions; `current` marks the administrator's own. */
  async sessionsOf(userId: string, viewerSessionId: string): Promise<SessionDto[]> {
    if (!(await this.users.findById(userId))) throw new NotFoundException('User not found');
    return this.sessions.listOf(userId, viewerSessionId);
  }

  /**
   * Ends every session of the user, and so every refresh and access token, on every instance.
   * An administrator's own sessions end through POST /auth/logout-all instead.
   */
  async endSessions(actorId: string, userId: string): Promise<void> {
    if (actorId === userId)
      throw new BadRequestException('End your own sessions with POST /api/v1/auth/logout-all');
    const found = await this.revocation.revokeTokens(userId, { reason: 'ended_by_admin' });
    if (!found) throw new NotFoundException('User not found');
    this.events.publish(DomainEvents.SessionsEndedByAdmin, userId, BY_ADMINISTRATOR, {
      by: actorId,
    });
  }

  /**
   * Either change refuses the user's existing access tokens at once on every instance; a
   * deactivation (or `endSessions`, for a promotion) also ends their sessions. An admin cannot
   * change their own access.
   */
  async update(
    actorId: string,
    userId: string,
    changes: AdminUpdateUserDto,
    options: { endSessions?: boolean } = {},
  ): Promise<UserDto> {
    if (changes.role === undefined && changes.isActive === undefined) {
      throw new BadRequestException('Nothing to change: send role and/or isActive');
    }
    if (actorId === userId)
      throw new BadRequestException('You cannot change your own role or active flag');
    const before = await this.users.findById(userId);
    if (!before) throw new NotFoundException('User not found');
    // Whoever registered an address first must not receive admin rights with it unproven.
    if (changes.role === 'admin' && before.role !== 'admin' && !before.emailVerifiedAt)
      throw new EmailNotVerifiedException("The account's email address is not verified");
    const found = await this.revocation.revokeTokens(userId, {
      reason: changes.isActive === false ? 'deactivated' : 'access_changed',
      access: { role: changes.role, isActive: changes.isActive },
      endSessions: changes.isActive === false || options.endSessions === true,
    });
    if (!found) throw new NotFoundException('User not found');
    if (changes.role !== undefined && changes.role !== before.role) {
      this.events.publish(DomainEvents.RoleChanged, userId, BY_ADMINISTRATOR, {
        by: actorId,
        from: before.role,
        to: changes.role,
      });
    }
    if (changes.isActive !== undefined && changes.isActive !== before.isActive) {
      this.events.publish(DomainEvents.ActiveChanged, userId, BY_ADMINISTRATOR, {
        by: actorId,
        isActive: changes.isActive,
      });
    }
    return this.users.profile(userId, true);
  }
}
