import { Injectable } from '@nestjs/common';
import { TooManyRequestsException } from '../../common/errors/too-many-requests.exception.js';
import { RateLimitStorage } from '../../common/rate-limit/rate-limit.storage.js';
import { AppConfig } from '../../config/app-config.js';

const BY_EMAIL = 'login-email';
const BY_IP = 'login-ip';

/**
 * Failed-login limits per normalised email and per client address, kept in the throttler's
 * storage (Redis when configured, so every instance counts together). Each attempt reserves
 * its place in both counts, atomically, before the password is checked: a failure keeps it,
 * a success gives it back. So parallel guesses can never check more passwords than the
 * limit. Once either count is used up every attempt gets 429, the right password included,
 * until the lock expires on its own.
 */
@Injectable()
export class LoginThrottleService {
  constructor(
    private readonly storage: RateLimitStorage,
    private readonly config: AppConfig,
  ) {}

  /** Counts the attempt as a failure until it succeeds; 429 with Retry-After when locked. */
  async reserve(email: string, ip: string): Promise<void> {
    const { maxFailuresPerEmail, maxFailuresPerIp, lockSeconds } = this.config.auth.login;
    const lockMs = lockSeconds * 1000;
    const [byEmail, byIp] = await Promise.all([
      this.storage.increment(email, lockMs, maxFailuresPerEmail, lockMs, BY_EMAIL),
      this.storage.increment(ip, lockMs, maxFailuresPerIp, lockMs, BY_IP),
    ]);
    if (!byEmail.isBlocked && !byIp.isBlocked) return;
    // Refused unchecked: the count that still had room gets its place back.
    await Promise.all([
      byEmail.isBlocked ? undefined : this.storage.release(email, BY_EMAIL),
      byIp.isBlocked ? undefined : this.storage.release(ip, BY_IP),
    ]);
    throw new TooManyRequestsException(
      Math.max(byEmail.timeToBlockExpire, byIp.timeToBlockExpire),
      'Too many failed sign-in attempts, please retry later',
    );
  }

  /** The password was right: the account's count starts over, the address gets its place back. */
  async succeeded(email: string, ip: string): Promise<void> {
    await Promise.all([this.storage.reset(email, BY_EMAIL), this.storage.release(ip, BY_IP)]);
  }

  /**
   * The password was right but a second factor is still to come: the address gets its place
   * back (a success is no failure of the address), the account's stays counted until then.
   */
  async passwordAccepted(ip: string): Promise<void> {
    await this.storage.release(ip, BY_IP);
  }

  /** After a password reset, the account's count starts over. */
  async clear(email: string): Promise<void> {
    await this.storage.reset(email, BY_EMAIL);
  }
}
