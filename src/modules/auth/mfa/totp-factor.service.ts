import {
  BadRequestException,
  ConflictException,
  Injectable,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { derivedKey } from '../../../common/crypto/derived-key.js';
import { SecretBox } from '../../../common/crypto/secret-box.js';
import { DomainEvents, type RequestMeta } from '../../../common/events/domain-events.js';
import { EventPublisher } from '../../../common/events/event-publisher.service.js';
import { Clock } from '../../../common/time/clock.js';
import { AppConfig } from '../../../config/app-config.js';
import { UsersService } from '../../users/users.service.js';
import type { Principal } from '../../../common/auth/auth.decorators.js';
import { AuthMail } from '../auth-mail.js';
import { SessionsRepository } from '../sessions.repository.js';
import { TokenRevocation } from '../token-revocation.service.js';
import { MfaRepository, type StoredTotp } from './mfa.repository.js';
import { RecoveryCodeHasher } from './recovery-codes.js';
import { newTotpSecret, totpStep, totpUrl } from './totp.js';

export interface TotpSetup {
  secret: string;
  otpauthUrl: string;
}

/**
 * The TOTP second factor and its recovery codes. Setup stores a pending secret (sealed under
 * a key derived from MFA_ENCRYPTION_KEY, bound to the user); the first correct code turns it
 * on and makes the recovery codes, which are shown once. A code is accepted once: its time
 * step is recorded, and no step at or before it passes again.
 */
@Injectable()
export class TotpFactor {
  private readonly logger = new Logger(TotpFactor.name);
  private readonly box: SecretBox;
  private readonly recoveryCodes: RecoveryCodeHasher;
  private readonly issuer: string;

  constructor(
    private readonly mfa: MfaRepository,
    private readonly users: UsersService,
    private readonly mail: AuthMail,
    private readonly sessions: SessionsRepository,
    private readonly revocation: TokenRevocation,
    private readonly events: EventPublisher,
    private readonly clock: Clock,
    @InjectDataSource() private readonly dataSource: DataSource,
    config: AppConfig,
  ) {
    const secret = config.auth.mfa.encryptionSecret;
    this.box = new SecretBox(derivedKey(secret, 'insightsheet totp secret v1'));
    this.recoveryCodes = new RecoveryCodeHasher(
      derivedKey(secret, 'insightsheet recovery codes v1'),
    );
    this.issuer = config.auth.mfa.issuer;
  }

  async isEnabled(userId: string): Promise<boolean> {
    return (await this.mfa.findTotp(userId))?.confirmed ?? false;
  }

  async status(userId: string): Promise<{ totp: boolean; recoveryCodesRemaining: number }> {
    const totp = await this.isEnabled(userId);
    return { totp, recoveryCodesRemaining: totp ? await this.mfa.unusedRecoveryCodes(userId) : 0 };
  }

  /** A new pending secret (replacing a pending one); 409 while TOTP is on. */
  async setup(userId: string): Promise<TotpSetup> {
    const user = await this.users.findById(userId);
    if (!user) throw new NotFoundException('User not found');
    const secret = newTotpSecret();
    if (!(await this.mfa.savePendingTotp(userId, this.box.seal(secret, userId)))) {
      throw new ConflictException(
        'Two-step verification is already on: turn it off first to set up another authenticator',
      );
    }
    return { secret, otpauthUrl: totpUrl(secret, user.email, this.issuer) };
  }

  /**
   * A correct code from the pending authenticator turns TOTP on and returns the recovery
   * codes (the only time they are shown). The user's other sessions end: none of them used
   * the new factor, and one may be an intruder's. A wrong code is a 400 and changes nothing.
   */
  async confirm(principal: Principal, code: string, meta: RequestMeta): Promise<string[]> {
    const userId = principal.id;
    const stored = await this.mfa.findTotp(userId);
    if (stored?.confirmed) throw new ConflictException('Two-step verification is already on');
    if (!stored) {
      throw new BadRequestException(
        'No authenticator is being set up: start with /auth/mfa/totp/setup',
      );
    }
    const secret = this.secretOf(userId, stored);
    const step = secret === null ? null : totpStep(secret, code, this.nowSeconds());
    if (step === null) {
      throw new BadRequestException(
        'The code does not match the authenticator: check that the device clock is right and enter a new code',
      );
    }
    const user = await this.users.findById(userId);
    if (!user) throw new NotFoundException('User not found');
    const { codes, hashes } = this.recoveryCodes.newSet();
    await this.dataSource.transaction(async (manager) => {
      if (!(await this.mfa.confirmTotp(userId, stored.secretCiphertext, step, manager))) {
        throw new ConflictException(
          'The authenticator was set up again meanwhile: enter a code of the newest one',
        );
      }
      await this.mfa.replaceRecoveryCodes(userId, hashes, manager);
      // The code just proven is this session's second factor (its next tokens say so); the
      // other sessions end.
      await this.sessions.addMethods(principal.sessionId, ['otp', 'mfa'], manager);
      await this.sessions.revokeAllForUser(userId, 'mfa_enabled', principal.sessionId, manager);
      await this.mail.mfaEnabled(user.email, manager);
    });
    await this.revocation.sessionEnded(userId);
    this.mail.wake();
    this.events.publish(DomainEvents.MfaEnabled, userId, meta);
    return codes;
  }

  /** TOTP and the recovery codes are removed; 404 when TOTP was not on. */
  async disable(userId: string, meta: RequestMeta): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user) throw new NotFoundException('User not found');
    await this.dataSource.transaction(async (manager) => {
      if (!(await this.mfa.removeTotp(userId, manager))) {
        throw new NotFoundException('Two-step verification is not on');
      }
      await this.mail.mfaDisabled(user.email, manager);
    });
    this.mail.wake();
    this.events.publish(DomainEvents.MfaDisabled, userId, meta);
  }

  /** A new set of recovery codes; the old set stops working. 409 when TOTP is not on. */
  async regenerateRecoveryCodes(userId: string, meta: RequestMeta): Promise<string[]> {
    const user = await this.users.findById(userId);
    if (!user) throw new NotFoundException('User not found');
    if (!(await this.isEnabled(userId))) {
      throw new ConflictException(
        'Recovery codes come with two-step verification: turn it on first',
      );
    }
    const { codes, hashes } = this.recoveryCodes.newSet();
    await this.dataSource.transaction(async (manager) => {
      await this.mfa.replaceRecoveryCodes(userId, hashes, manager);
      await this.mail.recoveryCodesRegenerated(user.email, manager);
    });
    this.mail.wake();
    this.events.publish(DomainEvents.RecoveryCodesRegenerated, userId, meta);
    return codes;
  }

  /** Whether `code` is the authenticator's current code, not used before (it is used now). */
  async useCode(userId: string, code: string): Promise<boolean> {
    const stored = await this.mfa.findTotp(userId);
    if (!stored?.confirmed) return false;
    const secret = this.secretOf(userId, stored);
    const step =
      secret === null ? null : totpStep(secret, code, this.nowSeconds(), stored.lastUsedStep);
    return step !== null && (await this.mfa.useTotpStep(userId, step));
  }

  /** Whether `typed` is one of the user's unused recovery codes (it is used now). */
  async useRecoveryCode(userId: string, typed: string, meta: RequestMeta): Promise<boolean> {
    const hash = this.recoveryCodes.hashTyped(typed);
    if (!hash || !(await this.mfa.useRecoveryCode(userId, hash))) return false;
    const remaining = await this.mfa.unusedRecoveryCodes(userId);
    this.events.publish(DomainEvents.RecoveryCodeUsed, userId, meta, { remaining });
    return true;
  }

  /**
   * The plain secret; null (no code matches) when it does not open: the key changed
   * (MFA_ENCRYPTION_KEY, or JWT_SECRET when that is unset), which only an operator can mend.
   */
  private secretOf(userId: string, stored: StoredTotp): string | null {
    try {
      return this.box.open(stored.secretCiphertext, userId).toString('utf8');
    } catch {
      this.logger.error(
        { userId },
        'A TOTP secret does not decrypt: MFA_ENCRYPTION_KEY (or JWT_SECRET, when it is unset) is not the key it was stored with',
      );
      return null;
    }
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.nowMs() / 1000);
  }
}
