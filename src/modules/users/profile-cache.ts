import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import type { UserDto } from './dto/user.dto.js';

const TTL_MS = 3_600_000;

/**
 * GET /users/me is the web app's most frequent read: the profile with its subscription is
 * cached for an hour (Redis when configured, so all instances share it) and dropped by every
 * change to the user or their subscription. Cache errors fall through to the database.
 */
@Injectable()
export class ProfileCache {
  constructor(@Inject(CACHE_MANAGER) private readonly cache: Cache) {}

  async get(userId: string): Promise<UserDto | undefined> {
    return (await this.cache.get<UserDto>(this.key(userId)).catch(() => undefined)) ?? undefined;
  }

  async set(userId: string, profile: UserDto): Promise<void> {
    await this.cache.set(this.key(userId), profile, TTL_MS).catch(() => undefined);
  }

  async forget(userId: string): Promise<void> {
    await this.cache.del(this.key(userId)).catch(() => undefined);
  }

  private key(userId: string): string {
    return `profile:${userId}`;
  }
}
