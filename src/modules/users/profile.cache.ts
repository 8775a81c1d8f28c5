import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { evictNowAndLater } from '../../common/cache/now-and-later.js';
import type { UserDto } from './dto/user.dto.js';

const TTL_MS = 3_600_000;

export type CachedAccount = Omit<UserDto, 'subscription'>;

/**
 * GET /users/me is the web app's most frequent read: the user's own fields are cached for an
 * hour (Redis when configured, so all instances share it) and dropped by every change to the
 * user. The subscription part comes from the subscriptions module's own cache. Cache errors
 * fall through to the database.
 */
@Injectable()
export class ProfileCache {
  constructor(@Inject(CACHE_MANAGER) private readonly cache: Cache) {}

  async get(userId: string): Promise<CachedAccount | undefined> {
    return (
      (await this.cache.get<CachedAccount>(this.key(userId)).catch(() => undefined)) ?? undefined
    );
  }

  async set(userId: string, account: CachedAccount): Promise<void> {
    await this.cache.set(this.key(userId), account, TTL_MS).catch(() => undefined);
  }

  /** After a change is committed (see nowAndLater). */
  forget(userId: string): Promise<void> {
    return evictNowAndLater(this.cache, this.key(userId));
  }

  // v3: the entry holds the user's own fields only; entries of older shapes are never read.
  private key(userId: string): string {
    return `profile:v3:${userId}`;
  }
}
