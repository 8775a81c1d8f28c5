import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import type { UserRole } from './user.entity.js';
import { UsersRepository } from './users.repository.js';

export interface AccessState {
  tokenVersion: number;
  isActive: boolean;
  role: UserRole;
}

/** Also the bound on staleness if a change is made while Redis is unreachable. */
const TTL_MS = 60_000;

/**
 * What each authenticated request checks against its token: the user's token version,
 * active flag and role. Cached (in Redis when configured, so every instance sees a change at
 * once; in process otherwise) and written through on every change. When the cache is
 * unreachable the database answers.
 */
@Injectable()
export class AccessStateService {
  constructor(
    private readonly users: UsersRepository,
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
  ) {}

  async get(userId: string): Promise<AccessState | null> {
    const cached = await this.cache
      .get<AccessState | 'none'>(this.key(userId))
      .catch(() => undefined);
    if (cached === 'none') return null;
    if (cached) return cached;
    const state = await this.users.findAccessState(userId);
    await this.cache.set(this.key(userId), state ?? 'none', TTL_MS).catch(() => undefined);
    return state;
  }

  /** Records a change (or a deletion, with null) for every instance. */
  async set(userId: string, state: AccessState | null): Promise<void> {
    const write = () =>
      this.cache.set(this.key(userId), state ?? 'none', TTL_MS).catch(() => this.forget(userId));
    await write();
    // Once more a moment later: a request that read the old state before the change
    // committed could otherwise write it back.
    setTimeout(() => void write(), 1000).unref();
  }

  async forget(userId: string): Promise<void> {
    await this.cache.del(this.key(userId)).catch(() => undefined);
  }

  private key(userId: string): string {
    return `access:${userId}`;
  }
}
