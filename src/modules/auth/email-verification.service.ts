import { BadRequestException, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainEvents, type RequestMeta } from '../../common/events/domain-events.js';
import { EventPublisher } from '../../common/events/event-publisher.service.js';
import { UsersService } from '../users/users.service.js';
import { AuthMail } from './auth-mail.js';
import { EmailCodes } from './email-codes.service.js';

/**
 * Proving that an account's owner holds its address: a code mailed at registration (and on
 * request), entered in the web app. Unverified accounts sign in and use the free plan.
 */
@Injectable()
export class EmailVerification {
  constructor(
    private readonly users: UsersService,
    private readonly codes: EmailCodes,
    private readonly mail: AuthMail,
    private readonly events: EventPublisher,
  ) {}

  /**
   * A code for a new account's address, and its mail, in the registration's transaction;
   * call `sendQueued` once it has committed.
   */
  async issue(userId: string, email: string, manager: EntityManager): Promise<void> {
    const code = await this.codes.issue(userId, 'verify_email', email, manager);
    await this.mail.verificationCode(email, code, manager);
  }

  /** Sends the mail queued by committed transactions now rather than at the next poll. */
  sendQueued(): void {
    this.mail.wake();
  }

  /** A new code (the old one stops working); nothing when the address is verified already. */
  async resend(userId: string): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user || user.emailVerifiedAt) return;
    const code = await this.codes.issue(userId, 'verify_email', user.email);
    await this.mail.verificationCode(user.email, code);
  }

  /** A wrong, expired or used code is a 400 (see EmailCodes.consume). */
  async verify(userId: string, code: string, meta: RequestMeta): Promise<void> {
    const verified = await this.codes.consume(userId, 'verify_email', code, (email, manager) =>
      this.users.markEmailVerified(userId, email, manager),
    );
    // The address changed since the code was sent: the code proves nothing any more.
    if (!verified) throw new BadRequestException('The code is wrong or has expired');
    await this.users.changed(userId);
    this.events.publish(DomainEvents.EmailVerified, userId, meta);
  }
}
