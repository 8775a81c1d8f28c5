import { HttpException, Injectable, NotFoundException } from '@nestjs/common';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { UsersService } from '../users/users.service.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { PasswordService } from './password.service.js';

/**
 * A signed-in user types their password again (a password change, erasure, reauthentication):
 * verified with the same argon2 path as sign-in, and counted like a sign-in, so wrong passwords
 * lock the account and the address as failed sign-ins do (429 while locked).
 */
@Injectable()
export class PasswordConfirmation {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly loginThrottle: LoginThrottleService,
  ) {}

  /** The user, when `password` is theirs; otherwise `refusal()` is thrown. */
  async confirm(userId: string, password: string, meta: RequestMeta, refusal: () => HttpException) {
    const user = await this.users.findWithPasswordHash({ id: userId });
    if (!user) throw new NotFoundException('User not found');
    const ip = meta.ip ?? 'unknown';
    await this.loginThrottle.reserve(user.email, ip);
    if (!(await this.passwords.verify(user.passwordHash, password))) {
      throw refusal();
    }
    await this.loginThrottle.succeeded(user.email, ip);
    return user;
  }
}
