import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { LATE_REPEAT_MS } from '../../src/common/cache/now-and-later.js';
import { AccessStateService } from '../../src/modules/auth/access-state.service.js';
import { ProfileCache } from '../../src/modules/users/profile.cache.js';
import { UsersRepository } from '../../src/modules/users/users.repository.js';
import { bearer, registerUser } from '../factories/users.factory.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * A burst of requests on a cold cache (a user's first requests, or every user after the cache
 * was flushed) must not become a burst of database reads: 1,000 connections of one user on a
 * cold cache queued thousands of queries behind a 20-connection pool, and requests waited
 * past the connect timeout (503).
 */
describe('cold cache under a burst', () => {
  let api: TestApp;

  beforeAll(async () => {
    api = await startTestApp();
  });
  afterAll(() => api.close());

  it('reads the access state and the profile once for 100 concurrent requests of one user', async () => {
    const user = await registerUser(api);
    await api.app.get(AccessStateService).forget(user.id);
    await api.app.get(ProfileCache).forget(user.id);
    // A change's cache entries are dropped again a moment later (nowAndLater), and
    // registration and these forgets scheduled such drops: the burst begins after them, or a
    // slow burst on a busy machine meets one and rightly reads again.
    await new Promise((resolve) => setTimeout(resolve, LATE_REPEAT_MS + 200));
    const users = api.app.get(UsersRepository);
    const accessReads = jest.spyOn(users, 'findAccessState');
    const profileReads = jest.spyOn(users, 'findById');
    try {
      const statuses = await Promise.all(
        Array.from({ length: 100 }, async () => {
          const response = await api.fetch('/api/v1/users/me', bearer(user.accessToken));
          await response.arrayBuffer();
          return response.status;
        }),
      );
      expect(statuses.every((status) => status === 200)).toBe(true);
      expect(accessReads).toHaveBeenCalledTimes(1);
      expect(profileReads).toHaveBeenCalledTimes(1);
    } finally {
      accessReads.mockRestore();
      profileReads.mockRestore();
    }
  });
});
