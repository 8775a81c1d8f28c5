import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import type { UserDto } from './dto/user.dto.js';

const TTL_MS = 3_600_000;
const LATE_READ_MS = 1000;

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

  /** Kept until `until` when given (the next time the plan in force changes by itself). */
  async set(userId: string, profile: UserDto, until?: Date): Promise<void> {
    const ttl = until ? Math.min(TTL_MS, until.getTime() - Date.now()) : TTL_MS;
    if (ttl > 0) await this.cache.set(this.key(userId), profile, ttl).catch(() => undefined);
  }

  /**
   * Drops the entry now and once more a moment later: a read that began before the change
   * committed could otherwise put the old profile back.
   */
  async forget(userId: string): Promise<void> {
    await this.cache.del(this.key(userId)).catch(() => undefined);
    setTimeout(
      () => void this.cache.del(this.key(userId)).catch(() => undefined),
      LATE_READ_MS,
    ).unref();
  }

  // v2: the subscription summary's shape changed; entries of the old shape are never read.
  private key(userId: string): string {
    return `profile:v2:${userId}`;
  }
}
