import { HttpException, Injectable, NotFoundException } from '@nestjs/common';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { UsersService, type Account } from '../users/users.service.js';
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

  /** The account when the password is right; `refusal` otherwise (429 once locked). */
  async confirm(
    userId: string,
    password: string,
    meta: RequestMeta,
    refusal: () => HttpException,
  ): Promise<Account> {
    const user = await this.users.findWithPasswordHash({ id: userId });
    if (!user) throw new NotFoundException('User not found');
    const ip = meta.ip ?? 'unknown';
    await this.loginThrottle.reserve(user.email, ip);
    if (!(await this.passwords.verify(user.passwordHash, password))) throw refusal();
    await this.loginThrottle.succeeded(user.email, ip);
    return user;
  }
}
