import { BadRequestException, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DomainEvents, type RequestMeta } from '../../common/events/domain-events.js';
import { EventPublisher } from '../../common/events/event-publisher.service.js';
import { AppConfig } from '../../config/app-config.js';
import { MailService } from '../../mail/mail.service.js';
import { SubscriptionsRepository } from '../subscriptions/subscriptions.repository.js';
import { AccessStateService } from '../users/access-state.service.js';
import { UserDto } from '../users/dto/user.dto.js';
import { User } from '../users/user.entity.js';
import { UsersRepository } from '../users/users.repository.js';
import { UsersService } from '../users/users.service.js';
import type { AuthResponseDto, TokenPairDto } from './dto/auth-response.dto.js';
import type { LoginDto, RegisterDto } from './dto/auth.dto.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { PasswordResetsRepository } from './password-resets.repository.js';
import { PasswordService } from './password.service.js';
import { SessionsRepository } from './sessions.repository.js';
import { TokenService } from './token.service.js';

const INVALID_CREDENTIALS = 'Invalid email or password';
const INVALID_REFRESH = 'Invalid or expired refresh token';

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly usersService: UsersService,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly sessions: SessionsRepository,
    private readonly resets: PasswordResetsRepository,
    private readonly passwords: PasswordService,
    private readonly tokens: TokenService,
    private readonly accessState: AccessStateService,
    private readonly loginThrottle: LoginThrottleService,
    private readonly mail: MailService,
    private readonly events: EventPublisher,
    private readonly config: AppConfig,
  ) {}

  /** The user and their free subscription in one transaction; a taken email is a 409. */
  async register(input: RegisterDto, meta: RequestMeta): Promise<AuthResponseDto> {
    this.passwords.assertAcceptable(input.password, input.email);
    const passwordHash = await this.passwords.hash(input.password);
    const { user, subscription } = await this.dataSource.transaction(async (manager) => {
      const created = await this.users.create(manager, {
        email: input.email,
        passwordHash,
        name: input.name,
      });
      return {
        user: created,
        subscription: await this.subscriptions.createFree(manager, created.id),
      };
    });
    this.events.publish(DomainEvents.Registered, user.id, meta);
    const tokens = await this.startSession(user, meta);
    return {
      user: UserDto.from(user, subscription, this.config.stripe.pastDueGraceDays),
      ...tokens,
    };
  }

  /**
   * The same 401, body and work for an unknown email, a wrong password and a deactivated
   * account: a dummy hash is verified when there is no account.
   */
  async login(input: LoginDto, meta: RequestMeta): Promise<AuthResponseDto> {
    const ip = meta.ip ?? 'unknown';
    await this.loginThrottle.reserve(input.email, ip);
    const user = await this.users.findWithPasswordHash({ email: input.email });
    const valid = await this.passwords.verify(user?.passwordHash, input.password);
    if (!user || !valid || !user.isActive) {
      this.events.publish(DomainEvents.LoginFailed, user?.id ?? null, meta, {
        reason: 'invalid_credentials',
      });
      throw new UnauthorizedException(INVALID_CREDENTIALS);
    }
    await this.loginThrottle.succeeded(input.email, ip);
    if (this.passwords.needsRehash(user.passwordHash)) {
      await this.users.updatePasswordHash(user.id, await this.passwords.hash(input.password));
    }
    await this.usersService.recordLogin(user.id);
    this.events.publish(DomainEvents.LoggedIn, user.id, meta);
    const tokens = await this.startSession(user, meta);
    return { user: await this.usersService.profile(user.id), ...tokens };
  }

  async refresh(refreshToken: string, meta: RequestMeta): Promise<TokenPairDto> {
    const successor = this.tokens.newRefreshToken();
    const outcome = await this.sessions.rotate(
      this.tokens.hashToken(refreshToken),
      meta,
      this.config.auth.refreshReuseGraceSeconds,
      { ...successor, ciphertext: this.tokens.encryptSuccessor(successor.token) },
      { decrypt: (c) => this.tokens.decryptSuccessor(c), hash: (t) => this.tokens.hashToken(t) },
    );
    if (outcome.kind === 'reused') {
      // A replayed token means it was stolen: the session's access tokens go with it.
      await this.accessState.changed(outcome.userId);
      this.events.publish(DomainEvents.RefreshTokenReused, outcome.userId, meta, {
        sessionId: outcome.sessionId,
      });
    }
    if (outcome.kind !== 'rotated') throw new UnauthorizedException(INVALID_REFRESH);
    return {
      accessToken: this.tokens.issueAccessToken(outcome.user, outcome.sessionId),
      refreshToken: outcome.token,
      expiresIn: this.config.jwt.accessTtlSeconds,
    };
  }

  /** Idempotent: an unknown or already revoked token is not an error. */
  async logout(refreshToken: string, meta: RequestMeta): Promise<void> {
    const userId = await this.sessions.revokeByToken(this.tokens.hashToken(refreshToken), 'logout');
    if (!userId) return;
    await this.accessState.changed(userId);
    this.events.publish(DomainEvents.LoggedOut, userId, meta);
  }

  /** Every session and every access token of the user, on every instance. */
  async logoutEverywhere(userId: string, meta: RequestMeta): Promise<void> {
    await this.sessions.revokeAllForUser(userId, 'logout_all');
    await this.users.updateAccess(userId, {});
    await this.accessState.changed(userId);
    this.events.publish(DomainEvents.LoggedOutEverywhere, userId, meta);
  }

  /** Always the same answer, at once: the lookup, the token and the mail happen after the response. */
  async requestPasswordReset(email: string, meta: RequestMeta): Promise<void> {
    if (!this.mail.available) {
      // The contract's 202 either way; no address or token in the line (logged loudly at boot).
      this.logger.warn('Password reset mail not sent: mail is not configured (SMTP_URL)');
      return;
    }
    void this.sendPasswordReset(email, meta).catch((error: Error) =>
      this.logger.error({ err: error }, 'Password reset request failed'),
    );
  }

  private async sendPasswordReset(email: string, meta: RequestMeta): Promise<void> {
    const user = await this.users.findByEmail(email);
    if (!user || !user.isActive) return;
    const token = randomBytes(32).toString('base64url');
    await this.resets.replace(
      user.id,
      this.tokens.hashToken(token),
      this.config.auth.passwordResetTtlSeconds,
    );
    this.events.publish(DomainEvents.PasswordResetRequested, user.id, meta);
    const link = `${this.config.frontendUrl}/reset-password?token=${token}`;
    const minutes = Math.round(this.config.auth.passwordResetTtlSeconds / 60);
    await this.mail.send({
      to: user.email,
      subject: 'Reset your InsightSheet password',
      text:
        `Someone asked to reset the password of your InsightSheet account.\n\n` +
        `To choose a new password, open this link within ${minutes} minutes:\n${link}\n\n` +
        `If it was not you, ignore this message: your password stays as it is.\n`,
    });
  }

  /** A single-use token: sets the password and ends every session and access token. */
  async resetPassword(token: string, password: string, meta: RequestMeta): Promise<void> {
    const { userId, email } = await this.dataSource.transaction(async (manager) => {
      const owner = await this.resets.consume(manager, this.tokens.hashToken(token));
      if (!owner) throw new BadRequestException('Invalid or expired reset token');
      const user = await manager.getRepository(User).findOne({ where: { id: owner } });
      if (!user) throw new BadRequestException('Invalid or expired reset token');
      this.passwords.assertAcceptable(password, user.email);
      await this.users.updatePasswordHash(owner, await this.passwords.hash(password), manager);
      await this.sessions.revokeAllForUser(owner, 'password_reset', null, manager);
      await this.users.updateAccess(owner, {}, manager);
      await manager.query(
        `DELETE FROM password_reset_tokens WHERE user_id = $1 AND used_at IS NULL`,
        [owner],
      );
      return { userId: owner, email: user.email };
    });
    await this.accessState.changed(userId);
    await this.loginThrottle.clear(email);
    this.events.publish(DomainEvents.PasswordReset, userId, meta);
  }

  async startSession(
    user: Pick<User, 'id' | 'role' | 'tokenVersion'>,
    meta: RequestMeta,
  ): Promise<TokenPairDto> {
    const refresh = this.tokens.newRefreshToken();
    const expiresAt = new Date(Date.now() + this.config.jwt.refreshTtlSeconds * 1000);
    const sessionId = await this.sessions.create(user.id, meta, expiresAt, refresh.hash);
    return {
      accessToken: this.tokens.issueAccessToken(user, sessionId),
      refreshToken: refresh.token,
      expiresIn: this.config.jwt.accessTtlSeconds,
    };
  }
}
