import { Injectable, NotFoundException } from '@nestjs/common';
import type { Principal } from '../../common/auth/auth.decorators.js';
import { DomainEvents, type RequestMeta } from '../../common/events/domain-events.js';
import { EventPublisher } from '../../common/events/event-publisher.service.js';
import { isRecentAuthentication } from '../../common/auth/recent-authentication.guard.js';
import { ReauthenticationRequiredException } from '../../common/errors/reauthentication-required.exception.js';
import { Clock } from '../../common/time/clock.js';
import { AppConfig } from '../../config/app-config.js';
import { describeDevice } from './device.js';
import type { SessionDto } from './dto/session.dto.js';
import { SessionsRepository, type LiveSession } from './sessions.repository.js';
import { TokenRevocation } from './token-revocation.service.js';

/**
 * Nothing caps how many sessions a user holds (each sign-in starts one, ended or expired ones
 * are pruned), so the list is: the caller's own session, then the most recently used, this many.
 */
export const SESSION_LIST_LIMIT = 100;

/** The same answer for an unknown id, another user's session and an ended one. */
const NOT_FOUND = 'Session not found';

export function toSessionDto(session: LiveSession, currentSessionId: string): SessionDto {
  return {
    id: session.id,
    current: session.id === currentSessionId,
    createdAt: session.createdAt,
    lastUsedAt: session.lastUsedAt,
    ip: session.ipAddress,
    userAgent: session.userAgent,
    device: describeDevice(session.userAgent),
    mfa: session.mfa,
  };
}

/**
 * The sessions page: the user's live sessions, ending one, ending all but the current one.
 * An ended session's refresh token stops at once, and its access tokens too, on every
 * instance (TokenRevocation.sessionEnded), without touching the user's other sessions.
 */
@Injectable()
export class UserSessionsService {
  private readonly stepUpMaxAgeSeconds: number;

  constructor(
    private readonly sessions: SessionsRepository,
    private readonly revocation: TokenRevocation,
    private readonly events: EventPublisher,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.stepUpMaxAgeSeconds = config.auth.stepUpMaxAgeSeconds;
  }

  list(principal: Principal): Promise<SessionDto[]> {
    return this.listOf(principal.id, principal.sessionId);
  }

  /** A user's live sessions, as an administrator sees them (`current`: the viewer's own). */
  async listOf(userId: string, viewerSessionId: string): Promise<SessionDto[]> {
    const sessions = await this.sessions.listLive(
      userId,
      viewerSessionId,
      this.clock.now(),
      SESSION_LIST_LIMIT,
    );
    return sessions.map((session) => toSessionDto(session, viewerSessionId));
  }

  /**
   * One of the caller's live sessions, the current one included; 404 for any other id. Ending
   * the current session is a logout; ending another is as sensitive as ending all others, so it
   * needs a recent authentication (checked before the id is looked up, so a 403 says nothing
   * about the id).
   */
  async end(principal: Principal, sessionId: string, meta: RequestMeta): Promise<void> {
    if (
      sessionId !== principal.sessionId &&
      !isRecentAuthentication(principal.authTime, this.clock.nowMs(), this.stepUpMaxAgeSeconds)
    ) {
      throw new ReauthenticationRequiredException();
    }
    const ended = await this.sessions.revokeOwned(
      principal.id,
      sessionId,
      'ended_by_user',
      this.clock.now(),
    );
    if (!ended) throw new NotFoundException(NOT_FOUND);
    await this.revocation.sessionEnded(principal.id);
    this.events.publish(DomainEvents.SessionEnded, principal.id, meta, { sessionId });
  }

  /** Every session of the caller but the one they are using. */
  async endOthers(principal: Principal, meta: RequestMeta): Promise<void> {
    await this.sessions.revokeAllForUser(principal.id, 'ended_by_user', principal.sessionId);
    await this.revocation.sessionEnded(principal.id);
    this.events.publish(DomainEvents.OtherSessionsEnded, principal.id, meta);
  }
}
