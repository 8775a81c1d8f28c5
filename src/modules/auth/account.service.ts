import { BadRequestException, Injectable, UnauthorizedException } from '@nestjs/common';
import { DomainEvents, type RequestMeta } from '../../common/events/domain-events.js';
import { EventPublisher } from '../../common/events/event-publisher.service.js';
import { UsersService } from '../users/users.service.js';
import type { ChangePasswordDto } from './dto/auth.dto.js';
import { AuthMail } from './auth-mail.js';
import { PasswordConfirmation } from './password-confirmation.service.js';
import { PasswordService } from './password.service.js';
import { TokenRevocation } from './token-revocation.service.js';

/** Self-service account operations that need the password: its change, and erasure. */
@Injectable()
export class AccountService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly confirmation: PasswordConfirmation,
    private readonly mail: AuthMail,
    private readonly revocation: TokenRevocation,
    private readonly events: EventPublisher,
  ) {}

  /** Keeps the current session; every other session and every access token ends. */
  async changePassword(
    userId: string,
    sessionId: string,
    input: ChangePasswordDto,
    meta: RequestMeta,
  ): Promise<void> {
    // The caller failed to prove who they are: 401, as for a wrong password at sign-in.
    const user = await this.confirmation.confirm(
      userId,
      input.currentPassword,
      meta,
      () => new UnauthorizedException('Current password is incorrect'),
    );
    this.passwords.assertAcceptable(input.newPassword, user.email);
    const passwordHash = await this.passwords.hash(input.newPassword);
    await this.revocation.revokeTokens(userId, {
      reason: 'password_changed',
      keepSession: sessionId,
      within: async (manager) => {
        await this.users.updatePasswordHash(userId, passwordHash, manager);
        await this.mail.passwordChanged(user.email, manager);
      },
    });
    this.mail.wake();
    this.events.publish(DomainEvents.PasswordChanged, userId, meta);
  }

  /**
   * Erasure: other modules may refuse it first, before anything is undone (ErasureRequested);
   * then Billing and Workspaces act (and may still refuse by failing), then the user and every
   * row tied to them (sessions, tokens, subscription, activity) go in one transaction.
   */
  async erase(userId: string, password: string | undefined, meta: RequestMeta): Promise<void> {
    // Without a password, RecentAuthenticationGuard has required a recent authentication.
    if (password !== undefined) {
      await this.confirmation.confirm(
        userId,
        password,
        meta,
        () => new BadRequestException('Password is incorrect'),
      );
    }
    await this.events.publishAndWait(DomainEvents.ErasureRequested, userId, meta);
    await this.events.publishAndWait(DomainEvents.Erasing, userId, meta);
    await this.revocation.revokeTokens(userId, {
      reason: 'erased',
      within: async (manager) => void (await this.users.delete(userId, manager)),
    });
    this.events.publish(DomainEvents.Erased, null, meta, { erasedUserId: userId });
  }
}
