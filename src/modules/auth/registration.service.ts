import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainEvents, type RequestMeta } from '../../common/events/domain-events.js';
import { EventPublisher } from '../../common/events/event-publisher.service.js';
import { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import { UsersService, type Account, type NewUser } from '../users/users.service.js';
import type { AuthResponseDto } from './dto/auth-response.dto.js';
import type { RegisterDto } from './dto/auth.dto.js';
import { EmailVerification } from './email-verification.service.js';
import { PasswordService } from './password.service.js';
import { SessionsService } from './sessions.service.js';

/**
 * An account's rows, created together or not at all: the user, their free subscription and,
 * for an address nobody has proven yet, its verification code.
 */
@Injectable()
export class AccountCreation {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly subscriptions: SubscriptionsService,
    private readonly verification: EmailVerification,
  ) {}

  /**
   * A taken email is a 409 (ConflictException); the code's mail is queued with the rest, and
   * `within` (a linked identity) writes in the same transaction.
   */
  async create(
    fields: NewUser,
    within?: (manager: EntityManager, user: Account) => Promise<void>,
  ): Promise<Account> {
    const user = await this.dataSource.transaction(async (manager) => {
      const created = await this.users.create(manager, fields);
      await this.subscriptions.createFree(manager, created.id);
      await within?.(manager, created);
      if (!fields.emailVerified) await this.verification.issue(created.id, created.email, manager);
      return created;
    });
    if (!fields.emailVerified) this.verification.sendQueued();
    return user;
  }
}

/** New accounts: self-service registration, and admins created by an operator. */
@Injectable()
export class RegistrationService {
  constructor(
    private readonly accounts: AccountCreation,
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly events: EventPublisher,
  ) {}

  /** Signs the new account in; its address gets a verification code by mail. */
  async register(input: RegisterDto, meta: RequestMeta): Promise<AuthResponseDto> {
    this.passwords.assertAcceptable(input.password, input.email);
    const passwordHash = await this.passwords.hash(input.password);
    const user = await this.accounts.create({
      email: input.email,
      passwordHash,
      name: input.name,
    });
    this.events.publish(DomainEvents.Registered, user.id, meta);
    const tokens = await this.sessions.start(user, meta);
    return { user: await this.users.profile(user.id, true), ...tokens };
  }

  /**
   * A new admin account, its address vouched for by the operator; never a promotion: an email
   * that has an account by the time of the insert is a 409, so one registered meanwhile is not
   * taken over.
   */
  async createAdmin(email: string, password: string | undefined): Promise<void> {
    if (!password) throw new BadRequestException('A password is required to create a new admin');
    this.passwords.assertAcceptable(password, email);
    const passwordHash = await this.passwords.hash(password);
    await this.accounts.create({
      email,
      passwordHash,
      name: 'Administrator',
      role: 'admin',
      emailVerified: true,
    });
  }
}
