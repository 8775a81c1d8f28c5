import { BadRequestException, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { derivedKey } from '../../common/crypto/derived-key.js';
import { DomainEvents, type RequestMeta } from '../../common/events/domain-events.js';
import { EventPublisher } from '../../common/events/event-publisher.service.js';
import { AppConfig } from '../../config/app-config.js';
import { JobQueue } from '../../mail/job-queue.js';
import { UsersService } from '../users/users.service.js';
import { AuthMail } from './auth-mail.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { PasswordResetsRepository } from './password-resets.repository.js';
import { PasswordService } from './password.service.js';
import { TokenRevocation } from './token-revocation.service.js';
import { SignInMethods } from './sign-in-methods.service.js';
import { hashToken } from './token.service.js';

const INVALID_TOKEN = 'Invalid or expired reset token';

/** The queue of reset requests that the route has answered and the workers carry out. */
export const PASSWORD_RESET_REQUESTS = 'auth.password-reset-request';

interface ResetRequest {
  email: string;
  meta: RequestMeta;
}

/** Asking for a reset: a single-use token by mail, the same answer whether or not it exists. */
@Injectable()
export class PasswordResetRequests implements OnModuleInit {
  private readonly logger = new Logger(PasswordResetRequests.name);
  private readonly tokenKey: Buffer;

  constructor(
    private readonly users: UsersService,
    private readonly resets: PasswordResetsRepository,
    private readonly mail: AuthMail,
    private readonly events: EventPublisher,
    private readonly config: AppConfig,
    private readonly jobs: JobQueue,
  ) {
    this.tokenKey = derivedKey(config.jwt.secret, 'insightsheet reset tokens');
  }

  onModuleInit(): void {
    this.jobs.work<ResetRequest>(PASSWORD_RESET_REQUESTS, ({ email, meta }, job) =>
      this.send(email, meta, job.id),
    );
  }

  /**
   * Always the same answer, after the same work: the request is queued durably, whatever the
   * address, and a worker looks the account up, issues the token and queues the mail.
   */
  async request(email: string, meta: RequestMeta): Promise<void> {
    if (!this.mail.available) {
      // The contract's 202 either way; no address or token in the line (logged loudly at boot).
      this.logger.warn('Password reset mail not sent: mail is not configured (SMTP_URL)');
      return;
    }
    await this.jobs.send(PASSWORD_RESET_REQUESTS, { email, meta } satisfies ResetRequest);
    this.jobs.wake(PASSWORD_RESET_REQUESTS);
  }

  /**
   * A queued request, carried out: the token and its mail are written in one transaction, so
   * a token exists only with its mail queued. The token is derived from the request's job
   * (an HMAC of its id under a key from JWT_SECRET): run again after a failure, or after a
   * crash before the job was marked done, the request issues the same link, so a link already
   * delivered keeps working.
   */
  async send(email: string, meta: RequestMeta, requestId: string): Promise<void> {
    const user = await this.users.findByEmail(email);
    if (!user || !user.isActive) return;
    const token = createHmac('sha256', this.tokenKey).update(requestId).digest('base64url');
    await this.resets.replace(
      user.id,
      hashToken(token),
      this.config.auth.passwordResetTtlSeconds,
      (manager) => this.mail.passwordReset(user.email, token, manager),
    );
    this.mail.wake();
    this.events.publish(DomainEvents.PasswordResetRequested, user.id, meta);
  }
}

/** Using a reset token: sets the password and ends every session and access token. */
@Injectable()
export class PasswordResets {
  constructor(
    private readonly users: UsersService,
    private readonly resets: PasswordResetsRepository,
    private readonly passwords: PasswordService,
    private readonly revocation: TokenRevocation,
    private readonly loginThrottle: LoginThrottleService,
    private readonly signInMethods: SignInMethods,
    private readonly events: EventPublisher,
  ) {}

  /**
   * A reset proves the mailbox. On an account whose address was not verified yet, it also
   * marks the address verified and removes the ways in that whoever held the account before
   * added (SignInMethods.clearForMailboxOwner).
   *
   * The token is used once: it is consumed under its row lock in the revocation's
   * transaction, so of two concurrent resets with one token, one sets the password and the
   * other is refused with nothing changed.
   */
  async reset(token: string, password: string, meta: RequestMeta): Promise<void> {
    const tokenHash = hashToken(token);
    const owner = await this.resets.ownerOf(tokenHash);
    const user = owner ? await this.users.findById(owner) : null;
    if (!user) throw new BadRequestException(INVALID_TOKEN);
    this.passwords.assertAcceptable(password, user.email);
    const passwordHash = await this.passwords.hash(password);
    // False: the user was erased meanwhile, and nothing was changed.
    const reset = await this.revocation.revokeTokens(user.id, {
      reason: 'password_reset',
      within: async (manager) => {
        if ((await this.resets.consume(manager, tokenHash)) !== user.id)
          throw new BadRequestException(INVALID_TOKEN);
        await this.users.updatePasswordHash(user.id, passwordHash, manager);
        if (!user.emailVerifiedAt) {
          await this.signInMethods.clearForMailboxOwner(user.id, manager);
          await this.users.markEmailVerified(user.id, user.email, manager);
        }
      },
    });
    if (!reset) throw new BadRequestException(INVALID_TOKEN);
    await this.loginThrottle.clear(user.email);
    this.events.publish(DomainEvents.PasswordReset, user.id, meta);
  }
}
