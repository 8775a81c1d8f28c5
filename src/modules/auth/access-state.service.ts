import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import type { UserRole } from '../../common/auth/auth.decorators.js';
import { nowAndLater } from '../../common/cache/now-and-later.js';
import { SingleFlight } from '../../common/cache/single-flight.js';
import { AppConfig } from '../../config/app-config.js';
import { UsersService } from '../users/users.service.js';
import { SessionsRepository } from './sessions.repository.js';

export interface AccessState {
  tokenVersion: number;
  isActive: boolean;
  role: UserRole;
  /** Ids of the user's sessions revoked within the last access-token lifetime. */
  revokedSessions: string[];
}

/** Also the bound on staleness if a change is made while Redis is unreachable. */
const TTL_MS = 60_000;
/** Room for clocks that differ between instances and the database. */
const CLOCK_SKEW_S = 60;

/**
 * What each authenticated request checks against its token, in one cache read: the user's
 * token version, active flag, role and recently revoked sessions. Cached (in Redis when
 * configured, so every instance sees a change at once; in process otherwise) and rebuilt from
 * the database on a miss. When the cache is unreachable the database answers.
 *
 * A logout ends its session's access tokens because the state lists the sessions revoked
 * within the last access-token lifetime (older ones only hold expired tokens, so the list
 * prunes itself), and a request that finds the session there is refused. Every change
 * rebuilds the state from the database and writes it through, now and a moment later
 * (nowAndLater), so that a copy read before the change and written back by a cache miss
 * cannot revive it.
 */
@Injectable()
export class AccessStateService {
  private readonly logger = new Logger(AccessStateService.name);
  private readonly revocationWindowSeconds: number;
  private readonly misses = new SingleFlight<AccessState | null>();

  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsRepository,
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    config: AppConfig,
  ) {
    this.revocationWindowSeconds = config.jwt.accessTtlSeconds + CLOCK_SKEW_S;
  }

  get(userId: string): Promise<AccessState | null> {
    return this.misses.read(
      userId,
      () => this.cached(userId),
      async () => {
        const state = await this.load(userId);
        await this.cache.set(this.key(userId), state ?? 'none', TTL_MS).catch(() => undefined);
        return state;
      },
    );
  }

  /** The cached state; undefined when there is none to use. */
  private async cached(userId: string): Promise<AccessState | null | undefined> {
    const cached = await this.cache
      .get<AccessState | 'none'>(this.key(userId))
      .catch(() => undefined);
    if (cached === 'none') return null;
    // An entry without the session list was written by an older release: rebuild it.
    return cached && Array.isArray(cached.revokedSessions) ? cached : undefined;
  }

  /**
   * Records, for every instance, a change to the user's access (token version, role, active
   * flag, a revoked session, or the user's deletion) that the database already holds.
   */
  changed(userId: string): Promise<void> {
    return nowAndLater(() => this.writeFromDatabase(userId));
  }

  async forget(userId: string): Promise<void> {
    await this.cache.del(this.key(userId)).catch(() => undefined);
  }

  private async writeFromDatabase(userId: string): Promise<void> {
    let state: AccessState | null;
    try {
      state = await this.load(userId);
    } catch (error) {
      // The change is committed: without the new state, the next request rebuilds it.
      this.logger.warn({ err: error, userId }, 'Could not read the access state back');
      return this.forget(userId);
    }
    await this.cache
      .set(this.key(userId), state ?? 'none', TTL_MS)
      .catch(() => this.forget(userId));
  }

  private async load(userId: string): Promise<AccessState | null> {
    const [user, revokedSessions] = await Promise.all([
      this.users.accessOf(userId),
      this.sessions.revokedWithin(userId, this.revocationWindowSeconds),
    ]);
    return user
      ? {
          tokenVersion: user.tokenVersion,
          isActive: user.isActive,
          role: user.role,
          revokedSessions,
        }
      : null;
  }

  private key(userId: string): string {
    return `access:${userId}`;
  }
}
