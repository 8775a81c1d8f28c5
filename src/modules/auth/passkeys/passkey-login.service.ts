import { Injectable, UnauthorizedException } from '@nestjs/common';
import { DomainEvents, type RequestMeta } from '../../../common/events/domain-events.js';
import { EventPublisher } from '../../../common/events/event-publisher.service.js';
import { UsersService } from '../../users/users.service.js';
import type { AuthResponseDto } from '../dto/auth-response.dto.js';
import { PASSKEY, SessionsService } from '../sessions.service.js';
import { PASSKEY_NOT_ACCEPTED, PasskeyAssertions } from './passkey-assertions.service.js';

/**
 * Signing in with a passkey alone (discoverable credential, no email typed): a passkey is
 * possession and user verification at once, so the session counts as multi-factor.
 */
@Injectable()
export class PasskeyLogin {
  constructor(
    private readonly assertions: PasskeyAssertions,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly events: EventPublisher,
  ) {}

  /** A deactivated account gets the same 401 as an unknown passkey. */
  async login(response: unknown, meta: RequestMeta): Promise<AuthResponseDto> {
    let userId: string;
    let passkeyId: string;
    try {
      ({ userId, passkeyId } = await this.assertions.verify(response, undefined, meta));
    } catch (error) {
      if (error instanceof UnauthorizedException)
        this.events.publish(DomainEvents.LoginFailed, null, meta, {
          reason: 'invalid_credentials',
        });
      throw error;
    }
    const access = await this.users.accessOf(userId);
    if (!access?.isActive) {
      this.events.publish(DomainEvents.LoginFailed, userId, meta, {
        reason: 'invalid_credentials',
      });
      throw new UnauthorizedException(PASSKEY_NOT_ACCEPTED);
    }
    await this.users.recordLogin(userId);
    this.events.publish(DomainEvents.LoggedIn, userId, meta, { method: 'passkey' });
    const tokens = await this.sessions.start({ id: userId, ...access }, meta, {
      ...PASSKEY,
      passkeyId,
    });
    return { user: await this.users.profile(userId), ...tokens };
  }
}
