import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import { Strategy } from 'passport-jwt';
import { ManualClock } from '../../../../test/support/manual-clock.js';
import { loadConfig } from '../../../config/app-config.js';
import type { AccessState, AccessStateService } from '../access-state.service.js';
import { JwtStrategy } from './jwt.strategy.js';
import { VerifiedTokens } from './verified-tokens.js';

const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'spec-secret-'.repeat(4) });
const userId = randomUUID();
const sessionId = randomUUID();

function sign(claims: Record<string, unknown> = {}, expiresIn = 900): string {
  return jwt.sign(
    { sub: userId, tv: 1, sid: sessionId, typ: 'access', auth_time: 1, amr: ['pwd'], ...claims },
    config.jwt.secret,
    { algorithm: 'HS256', issuer: config.auth.issuer, audience: config.auth.audience, expiresIn },
  );
}

type Outcome = { outcome: 'success'; user: unknown } | { outcome: 'fail' } | { outcome: 'error' };

/** What passport does with a strategy for each request: a copy given the three outcomes. */
function authenticate(
  strategy: JwtStrategy,
  token: string,
  authorization = `Bearer ${token}`,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const attempt = Object.create(strategy) as JwtStrategy;
    Object.assign(attempt, {
      success: (user: unknown) => resolve({ outcome: 'success', user }),
      fail: () => resolve({ outcome: 'fail' }),
      error: () => resolve({ outcome: 'error' }),
    });
    attempt.authenticate({ headers: { authorization } } as never, {});
  });
}

describe(JwtStrategy.name, () => {
  let state: AccessState;
  let clock: ManualClock;
  let strategy: JwtStrategy;
  let verifications: jest.Mock;

  beforeEach(() => {
    state = { tokenVersion: 1, isActive: true, role: 'user', revokedSessions: [] };
    clock = new ManualClock(Date.now());
    const accessState = { get: async () => state } as unknown as AccessStateService;
    strategy = new JwtStrategy(config, accessState, clock);
    // passport-jwt's verification (signature, algorithm, issuer, audience, expiry), counted.
    const statics = Strategy as unknown as { JwtVerifier: (...args: unknown[]) => void };
    verifications = jest.spyOn(statics, 'JwtVerifier') as unknown as jest.Mock;
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('verifies a token once, then checks only its claims on each request', async () => {
    const token = sign();
    for (let i = 0; i < 3; i++) {
      await expect(authenticate(strategy, token)).resolves.toEqual({
        outcome: 'success',
        user: { id: userId, role: 'user', sessionId, authTime: 1, amr: ['pwd'] },
      });
    }
    expect(verifications).toHaveBeenCalledTimes(1);
  });

  it('refuses a verified token once the user, its version or its session says no', async () => {
    const token = sign();
    await expect(authenticate(strategy, token)).resolves.toMatchObject({ outcome: 'success' });
    state = { ...state, revokedSessions: [sessionId] };
    await expect(authenticate(strategy, token)).resolves.toEqual({ outcome: 'fail' });
    state = { ...state, revokedSessions: [], tokenVersion: 2 };
    await expect(authenticate(strategy, token)).resolves.toEqual({ outcome: 'fail' });
    state = { ...state, tokenVersion: 1, isActive: false };
    await expect(authenticate(strategy, token)).resolves.toEqual({ outcome: 'fail' });
    expect(verifications).toHaveBeenCalledTimes(1);
  });

  it('verifies the token again from its expiry second on', async () => {
    const token = sign({}, 60);
    const { exp } = jwt.decode(token) as { exp: number };
    await authenticate(strategy, token);
    clock.advance(exp * 1000 - 1 - clock.nowMs());
    await authenticate(strategy, token);
    expect(verifications).toHaveBeenCalledTimes(1);
    clock.advance(1);
    await authenticate(strategy, token);
    expect(verifications).toHaveBeenCalledTimes(2);
  });

  it('never takes a token for the one verified unless it is the same, byte for byte', async () => {
    const token = sign();
    await authenticate(strategy, token);
    const [header, payload, signature] = token.split('.');
    const altered = [
      `${header}.${payload}.${signature.slice(0, -2)}${signature.at(-2) === 'A' ? 'B' : 'A'}${signature.at(-1)}`,
      `${header}.${Buffer.from(JSON.stringify({ ...(jwt.decode(token) as object), tv: 2 })).toString('base64url')}.${signature}`,
    ];
    for (const forged of altered)
      await expect(authenticate(strategy, forged)).resolves.toEqual({ outcome: 'fail' });
    expect(verifications).toHaveBeenCalledTimes(3);
  });

  it('keeps a token only from a header that holds nothing else', async () => {
    const token = sign();
    const padded = `Bearer ${token} ${'x'.repeat(15_000)}`;
    for (let i = 0; i < 2; i++)
      await expect(authenticate(strategy, token, padded)).resolves.toMatchObject({
        outcome: 'success',
      });
    expect(verifications).toHaveBeenCalledTimes(2);
    await authenticate(strategy, token, `bearer ${token}`);
    await authenticate(strategy, token);
    expect(verifications).toHaveBeenCalledTimes(3);
  });

  it('does not keep a token whose claims were refused', async () => {
    state = { ...state, tokenVersion: 2 };
    const token = sign();
    await expect(authenticate(strategy, token)).resolves.toEqual({ outcome: 'fail' });
    await expect(authenticate(strategy, token)).resolves.toEqual({ outcome: 'fail' });
    expect(verifications).toHaveBeenCalledTimes(2);
  });
});

describe(VerifiedTokens.name, () => {
  it('holds a bounded number of tokens, dropping the least recently used', () => {
    const clock = new ManualClock();
    const exp = Math.floor(clock.nowMs() / 1000) + 600;
    const tokens = new VerifiedTokens<{ exp: number }>(clock, 2);
    tokens.remember('a', { exp });
    tokens.remember('b', { exp });
    expect(tokens.get('a')).toEqual({ exp });
    tokens.remember('c', { exp });
    expect(tokens.get('b')).toBeUndefined();
    expect(tokens.get('a')).toEqual({ exp });
    expect(tokens.get('c')).toEqual({ exp });
  });

  it('keeps nothing without a whole-second expiry', () => {
    const tokens = new VerifiedTokens<{ exp: number }>(new ManualClock(), 2);
    tokens.remember('a', { exp: Number.NaN });
    expect(tokens.get('a')).toBeUndefined();
  });
});
