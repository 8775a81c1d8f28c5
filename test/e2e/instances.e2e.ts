import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { bearer, registerUser } from '../factories/users.factory.js';
import { startTestApp, TEST_REDIS_URL, type TestApp } from '../support/test-app.js';

/** Two application instances on one database and one Redis, as behind a load balancer. */
describe('two instances sharing Redis', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    const shared = {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `is-test:${process.env.TEST_RUN_ID}:${randomBytes(4).toString('hex')}`,
      RATE_LIMIT_MAX_REQUESTS: '6',
    };
    a = await startTestApp({ env: shared });
    b = await startTestApp({ env: shared, databaseUrl: a.config.database.url });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('counts one rate limit of N across both instances', async () => {
    const user = await registerUser(a);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const instance = i % 2 === 0 ? a : b;
      statuses.push((await instance.fetch('/api/v1/users/me', bearer(user.accessToken))).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
  });

  it('logout-all on one instance rejects the token on the other at once', async () => {
    const user = await registerUser(b);
    expect((await b.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(200);
    const response = await a.fetch('/api/v1/auth/logout-all', {
      method: 'POST',
      ...bearer(user.accessToken),
    });
    expect(response.status).toBe(204);
    expect((await b.fetch('/api/v1/users/me', bearer(user.accessToken))).status).toBe(401);
  });
});
