import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import { evictNowAndLater } from '../../common/cache/now-and-later.js';
import type { PlanSources } from '../subscriptions/entitlements.js';
import type { UserDto } from './dto/user.dto.js';

const TTL_MS = 3_600_000;

export interface CachedProfile {
  account: Omit<UserDto, 'subscription'>;
  /** A copy of what grants the user a plan, summarised on each read (what applies then). */
  subscription: PlanSources | null;
}

/**
 * GET /users/me is the web app's most frequent read: the profile is cached for an hour
 * (Redis when configured, so all instances share it), one read, and dropped by every change
 * to the user or (DomainEvents.SubscriptionChanged) to their subscription. Cache errors fall
 * through to the database.
 */
@Injectable()
export class ProfileCache {
  constructor(@Inject(CACHE_MANAGER) private readonly cache: Cache) {}

  async get(userId: string): Promise<CachedProfile | undefined> {
    return (
      (await this.cache.get<CachedProfile>(this.key(userId)).catch(() => undefined)) ?? undefined
    );
  }

  async set(userId: string, profile: CachedProfile): Promise<void> {
    await this.cache.set(this.key(userId), profile, TTL_MS).catch(() => undefined);
  }

  /** After a change is committed (see nowAndLater). */
  forget(userId: string): Promise<void> {
    return evictNowAndLater(this.cache, this.key(userId));
  }

  // v5: the entry holds the user's fields and their plan sources; older shapes are never read.
  private key(userId: string): string {
    return `profile:v5:${userId}`;
  }
}
