import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bearer, registerUser } from '../factories/users.factory.js';
import { RedisProcess } from '../support/redis-process.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * A Redis that stays connected but stops answering (frozen with SIGSTOP) must not hold
 * requests: the cache calls on the authenticated path (access state, profile) waited for the
 * socket timeout, 5 s and more, where the rate limiter gives up after 500 ms.
 */
describe('a stalled Redis', () => {
  const redis = new RedisProcess();
  let api: TestApp;

  beforeAll(async () => {
    await redis.start();
    api = await startTestApp({ env: { REDIS_URL: redis.url } });
  });
  afterAll(async () => {
    redis.resume();
    await api.close();
    await redis.stop();
  });

  it('answers authenticated requests from the database within a bound, and again from the cache after', async () => {
    const user = await registerUser(api);
    expect((await api.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(200);
    redis.pause();
    try {
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const response = await api.fetch('/api/v1/users/me', bearer(user.accessToken));
        expect(response.status).toBe(200);
        // Five Redis calls give up after 500 ms each (rate limit, access state read and
        // write-back, profile read and write-back): 2.5 s. Without bounds on the cache calls
        // this took the socket timeout and more (6.7 s).
        expect(Date.now() - started).toBeLessThan(4000);
      }
    } finally {
      redis.resume();
    }
    expect((await api.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(200);
  }, 60_000);
});
