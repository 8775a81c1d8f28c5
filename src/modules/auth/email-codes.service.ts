import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { derivedKey } from '../../common/crypto/derived-key.js';
import { DataSource, type EntityManager } from 'typeorm';
import { TooManyRequestsException } from '../../common/errors/too-many-requests.exception.js';
import { RateLimitStorage } from '../../common/rate-limit/rate-limit.storage.js';
import { Clock } from '../../common/time/clock.js';
import { AppConfig } from '../../config/app-config.js';
import type { EmailCodePurpose } from './email-code.entity.js';
import { EmailCodesRepository } from './email-codes.repository.js';

/** How long a mailed code is valid. */
export const EMAIL_CODE_TTL_SECONDS = 15 * 60;
/** Wrong tries after which a code is dead (a new one must be asked for). */
export const EMAIL_CODE_MAX_FAILURES = 5;
/** Wrong tries at codes for one address a day, summed over every account that asked for one. */
export const EMAIL_CODE_MAX_FAILURES_PER_ADDRESS = 10;
const DAY_MS = 86_400_000;
const PER_ADDRESS = 'email-code-address';

/**
 * Mailed 6-digit codes that prove an address: one live per user and purpose, valid 15
 * minutes, single use, dead after 5 wrong tries; and whoever asks for codes to an address,
 * at most 10 wrong tries at them a day (then 429 until the day is over). Stored as an HMAC keyed from JWT_SECRET and
 * bound to the user, purpose and address, so a leaked table does not give the codes away by
 * trying all million.
 */
@Injectable()
export class EmailCodes {
  private readonly key: Buffer;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly codes: EmailCodesRepository,
    private readonly clock: Clock,
    private readonly limits: RateLimitStorage,
    config: AppConfig,
  ) {
    this.key = derivedKey(config.jwt.secret, 'insightsheet email codes');
  }

  /** A new code for `email` (replacing the previous one), in the caller's transaction if any. */
  async issue(
    userId: string,
    purpose: EmailCodePurpose,
    email: string,
    manager?: EntityManager,
  ): Promise<string> {
    const code = randomInt(0, 1_000_000).toString().padStart(6, '0');
    await this.codes.replace(
      {
        userId,
        purpose,
        email,
        codeHash: this.hash(userId, purpose, email, code),
        expiresAt: new Date(this.clock.nowMs() + EMAIL_CODE_TTL_SECONDS * 1000),
      },
      manager,
    );
    return code;
  }

  /**
   * Uses the code up when it is right and `apply` succeeds, in one transaction with `apply`
   * (given the address the code proves). A wrong code counts toward its tries; a wrong,
   * expired, used or dead code is a 400, one answer for all. When `apply` fails the code
   * stays as it was.
   */
  async consume<T>(
    userId: string,
    purpose: EmailCodePurpose,
    code: string,
    apply: (email: string, manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const stored = await this.codes.findForUpdate(userId, purpose, manager);
      if (
        !stored ||
        stored.expiresAt.getTime() <= this.clock.nowMs() ||
        stored.failedAttempts >= EMAIL_CODE_MAX_FAILURES
      ) {
        return { accepted: false as const };
      }
      // The try takes its place in the address's daily count first; a right code gives it back.
      const address = `address:${stored.email}`;
      const tries = await this.limits.increment(
        address,
        DAY_MS,
        EMAIL_CODE_MAX_FAILURES_PER_ADDRESS,
        DAY_MS,
        PER_ADDRESS,
      );
      if (tries.isBlocked) return { accepted: false as const, retryAfter: tries.timeToBlockExpire };
      const expected = this.hash(userId, purpose, stored.email, code);
      if (!timingSafeEqual(stored.codeHash, expected)) {
        await this.codes.recordFailure(userId, purpose, manager);
        return { accepted: false as const };
      }
      await this.limits.release(address, PER_ADDRESS);
      await this.codes.delete(userId, purpose, manager);
      return { accepted: true as const, value: await apply(stored.email, manager) };
    });
    if (outcome.accepted) return outcome.value;
    if ('retryAfter' in outcome && outcome.retryAfter !== undefined)
      throw new TooManyRequestsException(
        outcome.retryAfter,
        'Too many wrong codes for this address',
      );
    throw new BadRequestException('The code is wrong or has expired');
  }

  /** Drops a user's live code for a purpose (its address is no longer in question). */
  discard(userId: string, purpose: EmailCodePurpose, manager?: EntityManager): Promise<void> {
    return this.codes.delete(userId, purpose, manager);
  }

  private hash(userId: string, purpose: EmailCodePurpose, email: string, code: string): Buffer {
    return createHmac('sha256', this.key)
      .update(`${purpose}\n${userId}\n${email}\n${code}`, 'utf8')
      .digest();
  }
}
