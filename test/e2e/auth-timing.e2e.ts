import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  login,
  registerUser,
  uniqueEmail,
  type RegisteredUser,
} from '../factories/users.factory.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * A statistical check with a generous margin: the two failures must not be told apart by
 * their median time. Both verify one argon2id hash (a dummy one when there is no account),
 * which dominates; the margin covers this shared, noisy machine. `npm run bench` reports the
 * same comparison over more samples.
 */
describe('login timing', () => {
  let api: TestApp;
  let user: RegisteredUser;

  beforeAll(async () => {
    api = await startTestApp({
      env: { LOGIN_MAX_FAILURES_PER_EMAIL: '1000', LOGIN_MAX_FAILURES_PER_IP: '1000' },
    });
    user = await registerUser(api);
  });
  afterAll(() => api.close());

  it('takes the same time for an unknown email and a wrong password', async () => {
    const timed = async (email: string) => {
      const started = performance.now();
      const response = await login(api, email, 'wrong-password-for-timing');
      expect(response.status).toBe(401);
      return performance.now() - started;
    };
    // Warm-up, then interleaved samples so that drift in machine load hits both alike.
    await timed(user.email);
    await timed(uniqueEmail());
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 15; i++) {
      wrong.push(await timed(user.email));
      unknown.push(await timed(uniqueEmail('ghost')));
    }
    const [a, b] = [median(wrong), median(unknown)];
    expect(Math.abs(a - b)).toBeLessThan(Math.max(0.25 * Math.max(a, b), 15));
    // The argon2 verify happened in both cases: far slower than a lookup alone.
    expect(Math.min(a, b)).toBeGreaterThan(10);
  });
});
