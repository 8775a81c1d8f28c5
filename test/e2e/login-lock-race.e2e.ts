import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { PasswordService } from '../../src/modules/auth/password.service.js';
import { login, registerUser, uniqueEmail } from '../factories/users.factory.js';
import { startTestApp, TEST_REDIS_URL, type TestApp } from '../support/test-app.js';

// Issue 10, item 6: each attempt is reserved atomically before the password is checked, so
// parallel guesses cannot pass the lock between their checks and their recorded failures.
describe.each([
  ['in process', undefined],
  ['in Redis', TEST_REDIS_URL],
])('failed-login limit under concurrency (%s)', (_name, redisUrl) => {
  let api: TestApp;
  let verify: jest.SpiedFunction<PasswordService['verify']>;

  beforeAll(async () => {
    api = await startTestApp({
      env: {
        REDIS_URL: redisUrl,
        LOGIN_MAX_FAILURES_PER_EMAIL: '5',
        LOGIN_MAX_FAILURES_PER_IP: '5',
        LOGIN_LOCK_SECONDS: '60',
      },
    });
  });
  afterEach(() => verify.mockRestore());
  afterAll(() => api.close());

  const spyOnVerify = () => {
    verify = jest.spyOn(api.app.get(PasswordService), 'verify');
  };

  it('checks at most the limit of passwords for 30 parallel wrong ones: five 401s, the rest 429', async () => {
    const user = await registerUser(api);
    spyOnVerify();
    const responses = await Promise.all(
      Array.from({ length: 30 }, () => login(api, user.email, 'wrong-password-x')),
    );
    const statuses = responses.map((response) => response.status);
    expect(verify).toHaveBeenCalledTimes(5);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(25);
    for (const response of responses.filter((r) => r.status === 429))
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await login(api, user.email, user.password)).status).toBe(429);
  });

  it('holds the per-address limit under parallel guesses at many emails', async () => {
    spyOnVerify();
    const address = { 'x-forwarded-for': '198.51.100.31' };
    const statuses = (
      await Promise.all(
        Array.from({ length: 20 }, () =>
          login(api, uniqueEmail('spray'), 'wrong-password-x', address),
        ),
      )
    ).map((response) => response.status);
    expect(verify).toHaveBeenCalledTimes(5);
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
  });

  it('never locks a user out by their own successful sign-ins', async () => {
    const user = await registerUser(api);
    spyOnVerify();
    const address = { 'x-forwarded-for': '198.51.100.32' };
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await login(api, user.email, user.password, address)).status);
    expect(statuses).toEqual(Array(8).fill(200));
    // Failures after the successes are counted from zero.
    for (let i = 0; i < 4; i++) await login(api, user.email, 'wrong-password-x', address);
    expect((await login(api, user.email, user.password, address)).status).toBe(200);
  });
});
