import { Injectable, UnauthorizedException } from '@nestjs/common';
import { DomainEvents, type RequestMeta } from '../../common/events/domain-events.js';
import { EventPublisher } from '../../common/events/event-publisher.service.js';
import { UsersService } from '../users/users.service.js';
import type { AuthResponseDto, MfaRequiredDto } from './dto/auth-response.dto.js';
import type { LoginDto } from './dto/auth.dto.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { MfaSignIn } from './mfa/mfa-sign-in.service.js';
import { PasswordService } from './password.service.js';
import { PASSWORD_ALONE, SessionsService } from './sessions.service.js';

const INVALID_CREDENTIALS = 'Invalid email or password';

/** Signing in with a password: the first of the sign-in methods that start a session. */
@Injectable()
export class LoginService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly loginThrottle: LoginThrottleService,
    private readonly sessions: SessionsService,
    private readonly mfa: MfaSignIn,
    private readonly events: EventPublisher,
  ) {}

  /**
   * The same 401, body and work for an unknown email, a wrong password and a deactivated
   * account: a dummy hash is verified when there is no account. With two-step verification
   * on, a right password answers a challenge (MfaSignIn) instead of tokens, and the attempt
   * stays counted toward the lock until the second factor is right.
   */
  async login(input: LoginDto, meta: RequestMeta): Promise<AuthResponseDto | MfaRequiredDto> {
    const ip = meta.ip ?? 'unknown';
    await this.loginThrottle.reserve(input.email, ip);
    const user = await this.users.findWithPasswordHash({ email: input.email });
    const valid = await this.passwords.verify(user?.passwordHash, input.password);
    if (!user || !valid || !user.isActive) {
      this.events.publish(DomainEvents.LoginFailed, user?.id ?? null, meta, {
        reason: 'invalid_credentials',
      });
      throw new UnauthorizedException(INVALID_CREDENTIALS);
    }
    if (this.passwords.needsRehash(user.passwordHash)) {
      await this.users.updatePasswordHash(user.id, await this.passwords.hash(input.password));
    }
    const secondFactors = await this.mfa.methods(user.id);
    if (secondFactors.length > 0) {
      await this.loginThrottle.passwordAccepted(ip);
      return this.mfa.challenge(user.id, PASSWORD_ALONE, secondFactors, meta);
    }
    await this.loginThrottle.succeeded(input.email, ip);
    await this.users.recordLogin(user.id);
    this.events.publish(DomainEvents.LoggedIn, user.id, meta);
    const tokens = await this.sessions.start(user, meta);
    return { user: await this.users.profile(user.id), ...tokens };
  }
}
