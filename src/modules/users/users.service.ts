import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { DomainEvents, type RequestMeta } from '../../common/events/domain-events.js';
import { EventPublisher } from '../../common/events/event-publisher.service.js';
import { AppConfig } from '../../config/app-config.js';
import { nextTransition } from '../subscriptions/entitlements.js';
import { AccessStateService } from './access-state.service.js';
import { ProfileCache } from './profile-cache.js';
import { SingleFlight } from '../../common/cache/single-flight.js';
import {
  AdminUserListDto,
  UserDto,
  type AdminUpdateUserDto,
  type AdminUserQueryDto,
} from './dto/user.dto.js';
import type { User } from './user.entity.js';
import { UsersRepository } from './users.repository.js';

@Injectable()
export class UsersService {
  private readonly profileMisses = new SingleFlight<UserDto>();

  constructor(
    private readonly users: UsersRepository,
    private readonly accessState: AccessStateService,
    private readonly profiles: ProfileCache,
    private readonly events: EventPublisher,
    private readonly config: AppConfig,
  ) {}

  findById(userId: string): Promise<User | null> {
    return this.users.findById(userId);
  }

  /** The profile with its subscription, from the cache when it holds it. */
  async profile(userId: string): Promise<UserDto> {
    const cached = await this.profiles.get(userId);
    if (cached) return cached;
    return this.profileMisses.run(userId, () => this.freshProfile(userId));
  }

  /** From the database, never from a read that began before a change; then cached. */
  private async freshProfile(userId: string): Promise<UserDto> {
    const found = await this.users.findWithSubscription(userId);
    if (!found) throw new NotFoundException('User not found');
    const grace = this.config.stripe.pastDueGraceDays;
    const profile = UserDto.fromJoined(found, grace);
    await this.profiles.set(
      userId,
      profile,
      found.subscription ? nextTransition(found.subscription, grace) : undefined,
    );
    return profile;
  }

  async rename(userId: string, name: string): Promise<UserDto> {
    await this.users.updateName(userId, name);
    await this.profiles.forget(userId);
    return this.freshProfile(userId);
  }

  /** Records a sign-in time (shown in the profile). */
  async recordLogin(userId: string): Promise<void> {
    await this.users.touchLastLogin(userId);
    await this.profiles.forget(userId);
  }

  async list(query: AdminUserQueryDto): Promise<AdminUserListDto> {
    const { items, total } = await this.users.list(query);
    return {
      items: items.map((item) => UserDto.fromJoined(item, this.config.stripe.pastDueGraceDays)),
      total,
      page: query.page,
      limit: query.limit,
    };
  }

  /**
   * Role and active flag. Either change bumps the token version, so the user's existing
   * access tokens stop working at once on every instance; an admin cannot lock themself out.
   */
  async updateAccess(
    actorId: string,
    userId: string,
    changes: AdminUpdateUserDto,
    meta: RequestMeta,
  ): Promise<UserDto> {
    if (changes.role === undefined && changes.isActive === undefined) {
      throw new BadRequestException('Nothing to change: send role and/or isActive');
    }
    if (actorId === userId)
      throw new BadRequestException('You cannot change your own role or active flag');
    const before = await this.users.findById(userId);
    if (!before) throw new NotFoundException('User not found');
    if (!(await this.users.updateAccess(userId, changes)))
      throw new NotFoundException('User not found');
    await this.accessState.changed(userId);
    await this.profiles.forget(userId);
    if (changes.role !== undefined && changes.role !== before.role) {
      this.events.publish(DomainEvents.RoleChanged, userId, meta, {
        by: actorId,
        from: before.role,
        to: changes.role,
      });
    }
    if (changes.isActive !== undefined && changes.isActive !== before.isActive) {
      this.events.publish(DomainEvents.ActiveChanged, userId, meta, {
        by: actorId,
        isActive: changes.isActive,
      });
    }
    return this.freshProfile(userId);
  }
}
