import { Injectable, NotFoundException } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { DomainEvents, type DomainEvent } from '../../common/events/domain-events.js';
import type { EntityManager } from 'typeorm';
import { EmailNotVerifiedException } from '../../common/errors/email-not-verified.exception.js';
import { SingleFlight } from '../../common/cache/single-flight.js';
import type { UserRole } from '../../common/auth/auth.decorators.js';
import { SubscriptionsService } from '../subscriptions/subscriptions.service.js';
import { AdminUserListDto, UserDto, type AdminUserQueryDto } from './dto/user.dto.js';
import { ProfileCache, type CachedProfile } from './profile.cache.js';
import type { User } from './user.entity.js';
import { UsersRepository, type NewUser } from './users.repository.js';

export type { NewUser };
/** A user's row as other modules see it (never with the password hash). */
export type Account = User;

/** What every authenticated request checks of its user: version, active flag and role. */
export type AccountAccess = Pick<User, 'tokenVersion' | 'isActive' | 'role'>;

/**
 * The users table's one door: accounts, credentials, profiles and the access columns.
 * Other modules go through here; the rules about when access changes are Auth's.
 */
@Injectable()
export class UsersService {
  private readonly profileMisses = new SingleFlight<CachedProfile>();

  constructor(
    private readonly users: UsersRepository,
    private readonly profiles: ProfileCache,
    private readonly subscriptions: SubscriptionsService,
  ) {}

  /** In the caller's transaction; a taken email (any case) is a 409. */
  create(manager: EntityManager, fields: NewUser): Promise<User> {
    return this.users.create(manager, fields);
  }

  findById(id: string): Promise<User | null> {
    return this.users.findById(id);
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findByEmail(email);
  }

  /** Address and name by user id, for lists of people (workspace members); missing ids absent. */
  async contacts(ids: string[]): Promise<Map<string, { email: string; name: string }>> {
    const rows = await this.users.findContacts(ids);
    return new Map(rows.map((row) => [row.id, { email: row.email, name: row.name }]));
  }

  /** The only read that includes the password hash. */
  findWithPasswordHash(where: { email: string } | { id: string }): Promise<User | null> {
    return this.users.findWithPasswordHash(where);
  }

  updatePasswordHash(id: string, passwordHash: string, manager?: EntityManager): Promise<void> {
    return this.users.updatePasswordHash(id, passwordHash, manager);
  }

  /**
   * For a change to the ways the user signs in: locks their row in the caller's transaction
   * (so such changes to one account take turns) and says whether it has a password. Null when
   * there is no such user.
   */
  lockSignInState(id: string, manager: EntityManager): Promise<{ hasPassword: boolean } | null> {
    return this.users.lockSignInState(id, manager);
  }

  accessOf(id: string): Promise<AccountAccess | null> {
    return this.users.findAccessState(id);
  }

  /**
   * Bumps the token version (so every access token issued before is refused) with the role
   * or active flag when given, in the caller's transaction. False when there is no such user.
   */
  bumpTokenVersion(
    id: string,
    changes: { role?: UserRole; isActive?: boolean },
    manager: EntityManager,
  ): Promise<boolean> {
    return this.users.updateAccess(id, changes, manager);
  }

  /** In the caller's transaction; false when the address is no longer the user's. */
  markEmailVerified(id: string, email: string, manager: EntityManager): Promise<boolean> {
    return this.users.markEmailVerified(id, email, manager);
  }

  /** A proven new address, verified, in the caller's transaction; a taken one is a 409. */
  replaceEmail(id: string, email: string, manager: EntityManager): Promise<boolean> {
    return this.users.replaceEmail(id, email, manager);
  }

  /** Refuses (403 email_not_verified) an account whose address is not proven. */
  async assertEmailVerified(id: string): Promise<void> {
    const user = await this.users.findById(id);
    if (!user?.emailVerifiedAt) throw new EmailNotVerifiedException();
  }

  delete(id: string, manager: EntityManager): Promise<boolean> {
    return this.users.delete(id, manager);
  }

  /**
   * The profile with its subscription as it applies now, from the cache when it holds it;
   * `fresh` reads the database (after a change, never a read that began before it).
   */
  async profile(userId: string, fresh = false): Promise<UserDto> {
    const { account, subscription } = fresh
      ? await this.loadProfile(userId)
      : await this.profileMisses.read(
          userId,
          () => this.profiles.get(userId),
          () => this.loadProfile(userId),
        );
    return {
      ...account,
      subscription: subscription ? this.subscriptions.summaryOf(subscription) : null,
    };
  }

  async rename(userId: string, name: string): Promise<UserDto> {
    await this.users.updateName(userId, name);
    await this.profiles.forget(userId);
    return this.profile(userId, true);
  }

  /** Records a sign-in time (shown in the profile). */
  async recordLogin(userId: string): Promise<void> {
    await this.users.touchLastLogin(userId);
    await this.profiles.forget(userId);
  }

  /** After a committed change to the user's row made in a caller's transaction. */
  changed(userId: string): Promise<void> {
    return this.profiles.forget(userId);
  }

  async list(query: AdminUserQueryDto): Promise<AdminUserListDto> {
    const { items, total } = await this.users.list(
      query,
      query.plan ? this.subscriptions.usersOnPlan(query.plan, 'user.id') : undefined,
    );
    const subscriptions = await this.subscriptions.summaries(items.map((user) => user.id));
    return {
      items: items.map((user) => UserDto.from(user, subscriptions.get(user.id) ?? null)),
      total,
      page: query.page,
      limit: query.limit,
    };
  }

  /** A change to the user's subscription: the profile's copy of it goes. */
  @OnEvent(DomainEvents.SubscriptionChanged, { async: true, promisify: true })
  async onSubscriptionChanged(event: DomainEvent<typeof DomainEvents.SubscriptionChanged>) {
    if (event.userId) await this.profiles.forget(event.userId);
  }

  private async loadProfile(userId: string): Promise<CachedProfile> {
    const [user, subscription] = await Promise.all([
      this.users.findById(userId),
      this.subscriptions.stateForProfile(userId),
    ]);
    if (!user) throw new NotFoundException('User not found');
    const profile = { account: UserDto.account(user), subscription };
    await this.profiles.set(userId, profile);
    return profile;
  }
}
