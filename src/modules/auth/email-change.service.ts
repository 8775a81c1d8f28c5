import {
  BadRequestException,
  ConflictException,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { DomainEvents, type RequestMeta } from '../../common/events/domain-events.js';
import { EventPublisher } from '../../common/events/event-publisher.service.js';
import type { UserDto } from '../users/dto/user.dto.js';
import { UsersService } from '../users/users.service.js';
import { AuthMail } from './auth-mail.js';
import { EmailCodes } from './email-codes.service.js';
import { PasswordConfirmation } from './password-confirmation.service.js';
import { TokenRevocation } from './token-revocation.service.js';

const TAKEN = 'An account with this email already exists';

/**
 * Moving an account to another address: the password asks, a code mailed to the new address
 * proves it, and only then does the address change (verified), with a notice to the old one
 * and every other session ended.
 */
@Injectable()
export class EmailChange {
  constructor(
    private readonly users: UsersService,
    private readonly codes: EmailCodes,
    private readonly confirmation: PasswordConfirmation,
    private readonly revocation: TokenRevocation,
    private readonly mail: AuthMail,
    private readonly events: EventPublisher,
  ) {}

  /** 409 when the new address has an account; a wrong password is a 401, as at sign-in. */
  async request(
    userId: string,
    input: { newEmail: string; password: string },
    meta: RequestMeta,
  ): Promise<void> {
    const user = await this.confirmation.confirm(
      userId,
      input.password,
      meta,
      () => new UnauthorizedException('Password is incorrect'),
    );
    if (input.newEmail === user.email)
      throw new BadRequestException('This is already the email address of your account');
    if (await this.users.findByEmail(input.newEmail)) throw new ConflictException(TAKEN);
    const code = await this.codes.issue(userId, 'change_email', input.newEmail);
    await this.mail.emailChangeCode(input.newEmail, code);
    await this.mail.emailChangeRequested(user.email, input.newEmail);
    this.events.publish(DomainEvents.EmailChangeRequested, userId, meta);
  }

  /**
   * The code consumed, the address replaced and every session but this one ended, in one
   * transaction; an address taken meanwhile is a 409 and leaves the code usable.
   */
  async confirm(
    userId: string,
    sessionId: string,
    code: string,
    meta: RequestMeta,
  ): Promise<UserDto> {
    const before = await this.users.findById(userId);
    if (!before) throw new NotFoundException('User not found');
    await this.codes.consume(userId, 'change_email', code, async (email, manager) => {
      // Code rows before the user's row: the order verification locks them in.
      await this.codes.discard(userId, 'verify_email', manager);
      const found = await this.revocation.revokeWithin(manager, userId, {
        reason: 'email_changed',
        keepSession: sessionId,
        within: async () => {
          if (!(await this.users.replaceEmail(userId, email, manager)))
            throw new NotFoundException('User not found');
          await this.mail.emailChanged(before.email, email, manager);
        },
      });
      if (!found) throw new NotFoundException('User not found');
    });
    await this.revocation.revoked(userId);
    this.mail.wake();
    this.events.publish(DomainEvents.EmailChanged, userId, meta);
    return this.users.profile(userId, true);
  }
}
