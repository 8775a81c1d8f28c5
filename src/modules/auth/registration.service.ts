import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainEvents, type RequestMeta } from '../../common/events/domain-events.js';
import { EventPublisher } from '../../common/events/event-publisher.service.js';
import { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import { UsersService } from '../users/users.service.js';
import type { AuthResponseDto } from './dto/auth-response.dto.js';
import type { RegisterDto } from './dto/auth.dto.js';
import { PasswordService } from './password.service.js';
import { SessionsService } from './sessions.service.js';

/** New accounts: each with its free subscription, created together or not at all. */
@Injectable()
export class RegistrationService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly subscriptions: SubscriptionsService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionsService,
    private readonly events: EventPublisher,
  ) {}

  /** The user and their free subscription in one transaction; a taken email is a 409. */
  async register(input: RegisterDto, meta: RequestMeta): Promise<AuthResponseDto> {
    this.passwords.assertAcceptable(input.password, input.email);
    const passwordHash = await this.passwords.hash(input.password);
    const user = await this.dataSource.transaction(async (manager) => {
      const created = await this.users.create(manager, {
        email: input.email,
        passwordHash,
        name: input.name,
      });
      await this.subscriptions.createFree(manager, created.id);
      return created;
    });
    this.events.publish(DomainEvents.Registered, user.id, meta);
    const tokens = await this.sessions.start(user, meta);
    return { user: await this.users.profile(user.id, true), ...tokens };
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
}
