import {
  BadRequestException,
  HttpException,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import {
  DomainEvents,
  type DomainEvent,
  type RequestMeta,
} from '../../common/events/domain-events.js';
import { EventPublisher } from '../../common/events/event-publisher.service.js';
import { ActivityRepository } from '../activity/activity.repository.js';
import type { ActivityItemDto } from '../activity/dto/activity.dto.js';
import { SubscriptionsRepository } from '../subscriptions/subscriptions.repository.js';
import { AccessStateService } from '../users/access-state.service.js';
import { ProfileCache } from '../users/profile-cache.js';
import type { UserDto } from '../users/dto/user.dto.js';
import { UsersService } from '../users/users.service.js';
import { UsersRepository } from '../users/users.repository.js';
import type { ChangePasswordDto } from './dto/auth.dto.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { PasswordService } from './password.service.js';
import { SessionsRepository, type SessionView } from './sessions.repository.js';

export interface AccountExport {
  exportedAt: Date;
  profile: UserDto;
  sessions: SessionView[];
  activity: Omit<ActivityItemDto, 'id' | 'userId'>[];
}

/** Self-service account operations that touch credentials and sessions. */
@Injectable()
export class AccountService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersRepository,
    private readonly usersService: UsersService,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly sessions: SessionsRepository,
    private readonly activity: ActivityRepository,
    private readonly passwords: PasswordService,
    private readonly accessState: AccessStateService,
    private readonly profiles: ProfileCache,
    private readonly loginThrottle: LoginThrottleService,
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
    const user = await this.verifyPassword(
      userId,
      input.currentPassword,
      meta,
      () => new UnauthorizedException('Current password is incorrect'),
    );
    this.passwords.assertAcceptable(input.newPassword, user.email);
    const passwordHash = await this.passwords.hash(input.newPassword);
    await this.dataSource.transaction(async (manager) => {
      await this.users.updatePasswordHash(userId, passwordHash, manager);
      await this.sessions.revokeAllForUser(userId, 'password_changed', sessionId, manager);
      await this.users.updateAccess(userId, {}, manager);
    });
    await this.accessState.changed(userId);
    this.events.publish(DomainEvents.PasswordChanged, userId, meta);
  }

  /** Everything held about the user, without any secret. */
  async export(userId: string): Promise<AccountExport> {
    const profile = await this.usersService.profile(userId);
    const [sessions, activity] = await Promise.all([
      this.sessions.listForUser(userId),
      this.activity.listAllForUser(userId),
    ]);
    return {
      exportedAt: new Date(),
      profile,
      sessions,
      activity: activity.map(
        ({ action, resource, resourceId, metadata, source, ipAddress, userAgent, createdAt }) => ({
          action,
          resource,
          resourceId,
          metadata,
          source,
          ipAddress,
          userAgent,
          createdAt,
        }),
      ),
    };
  }

  /**
   * Erasure: Billing is asked first (and may refuse by failing), then the user and every
   * row tied to them (sessions, tokens, subscription, activity) go in one transaction.
   */
  async erase(userId: string, password: string, meta: RequestMeta): Promise<void> {
    await this.verifyPassword(
      userId,
      password,
      meta,
      () => new BadRequestException('Password is incorrect'),
    );
    await this.events.publishAndWait(DomainEvents.Erasing, userId, meta);
    await this.dataSource.transaction((manager) => this.users.delete(userId, manager));
    await this.accessState.changed(userId);
    await this.profiles.forget(userId);
    this.events.publish(DomainEvents.Erased, null, meta, { erasedUserId: userId });
  }

  /**
   * A new admin account; never a promotion: an email that has an account by the time of the
   * insert is a 409 (ConflictException), so one registered meanwhile is not taken over.
   */
  async createAdmin(email: string, password: string | undefined): Promise<void> {
    if (!password) throw new BadRequestException('A password is required to create a new admin');
    this.passwords.assertAcceptable(password, email);
    const passwordHash = await this.passwords.hash(password);
    await this.dataSource.transaction(async (manager) => {
      const user = await this.users.create(manager, {
        email,
        passwordHash,
        name: 'Administrator',
        role: 'admin',
      });
      await this.subscriptions.createFree(manager, user.id);
    });
  }

  /** An administrator deactivated someone: their sessions end with their access tokens. */
  @OnEvent(DomainEvents.ActiveChanged, { async: true, promisify: true })
  async onActiveChanged(event: DomainEvent): Promise<void> {
    if (event.userId && event.metadata?.isActive === false) {
      await this.sessions.revokeAllForUser(event.userId, 'deactivated');
    }
  }

  private async verifyPassword(
    userId: string,
    password: string,
    meta: RequestMeta,
    refusal: () => HttpException,
  ) {
    const user = await this.users.findWithPasswordHash({ id: userId });
    if (!user) throw new NotFoundException('User not found');
    const ip = meta.ip ?? 'unknown';
    await this.loginThrottle.reserve(user.email, ip);
    if (!(await this.passwords.verify(user.passwordHash, password))) {
      throw refusal();
    }
    await this.loginThrottle.succeeded(user.email, ip);
    return user;
  }
}
