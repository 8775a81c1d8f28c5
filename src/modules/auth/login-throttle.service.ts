import { Injectable } from '@nestjs/common';
import { TooManyRequestsException } from '../../common/errors/too-many-requests.exception.js';
import { RateLimitStorage } from '../../common/rate-limit/rate-limit.storage.js';
import { AppConfig } from '../../config/app-config.js';

const BY_EMAIL = 'login-email';
const BY_IP = 'login-ip';

/**
 * Failed-login limits per normalised email and per client address, kept in the throttler's
 * storage (Redis when configured, so every instance counts together). While either is
 * locked every attempt gets 429, the right password included; locks expire on their own.
 */
@Injectable()
export class LoginThrottleService {
  constructor(
    private readonly storage: RateLimitStorage,
    private readonly config: AppConfig,
  ) {}

  async assertNotLocked(email: string, ip: string): Promise<void> {
    const [byEmail, byIp] = await Promise.all([
      this.storage.blockedFor(email, BY_EMAIL),
      this.storage.blockedFor(ip, BY_IP),
    ]);
    const wait = Math.max(byEmail, byIp);
    if (wait > 0)
      throw new TooManyRequestsException(
        wait,
        'Too many failed sign-in attempts, please retry later',
      );
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    const { maxFailuresPerEmail, maxFailuresPerIp, lockSeconds } = this.config.auth.login;
    const lockMs = lockSeconds * 1000;
    // A limit of N-1 blocks on the Nth failure: the attempt after it is refused.
    await Promise.all([
      this.storage.increment(email, lockMs, maxFailuresPerEmail - 1, lockMs, BY_EMAIL),
      this.storage.increment(ip, lockMs, maxFailuresPerIp - 1, lockMs, BY_IP),
    ]);
  }

  /** After a successful sign-in or a password reset, the account's count starts over. */
  async clear(email: string): Promise<void> {
    await this.storage.reset(email, BY_EMAIL);
  }
}
