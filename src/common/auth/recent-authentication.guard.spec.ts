import { describe, expect, it } from '@jest/globals';
import type { ExecutionContext, HttpException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { ManualClock } from '../../../test/support/manual-clock.js';
import { loadConfig } from '../../config/app-config.js';
import { ReauthenticationRequiredException } from '../errors/reauthentication-required.exception.js';
import type { Principal } from './auth.decorators.js';
import {
  RecentAuthenticationGuard,
  RequiresRecentAuthentication,
} from './recent-authentication.guard.js';

class Routes {
  @RequiresRecentAuthentication()
  revokeOthers(): void {}

  @RequiresRecentAuthentication({ orPasswordIn: 'password' })
  erase(): void {}

  ordinary(): void {}
}

const START_MS = Date.UTC(2026, 0, 1, 12, 0, 0);
const START_S = START_MS / 1000;

function principal(authTime: number | null): Principal {
  return { id: randomUUID(), role: 'user', sessionId: randomUUID(), authTime, amr: ['pwd'] };
}

function contextFor(
  route: keyof Routes,
  request: { user?: Principal; body?: unknown },
): ExecutionContext {
  return {
    getHandler: () => Routes.prototype[route],
    getClass: () => Routes,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

function guardAt(clock: ManualClock, env: Record<string, string> = {}) {
  return new RecentAuthenticationGuard(new Reflector(), clock, loadConfig(env));
}

function refusal(run: () => unknown): HttpException | undefined {
  try {
    run();
  } catch (error) {
    return error as HttpException;
  }
  return undefined;
}

describe(RecentAuthenticationGuard.name, () => {
  it('lets an authentication of up to ten minutes ago through, and refuses an older one', () => {
    const clock = new ManualClock(START_MS);
    const guard = guardAt(clock);
    const request = { user: principal(START_S) };

    clock.advance(600_000);
    expect(guard.canActivate(contextFor('revokeOthers', request))).toBe(true);

    clock.advance(1000);
    const error = refusal(() => guard.canActivate(contextFor('revokeOthers', request)));
    expect(error).toBeInstanceOf(ReauthenticationRequiredException);
    expect(error?.getStatus()).toBe(403);
    expect(error?.getResponse()).toMatchObject({ error: 'reauthentication_required' });
  });

  it('reads the window from STEP_UP_MAX_AGE_SECONDS', () => {
    const clock = new ManualClock(START_MS);
    const guard = guardAt(clock, { STEP_UP_MAX_AGE_SECONDS: '60' });
    const request = { user: principal(START_S) };
    clock.advance(61_000);
    expect(refusal(() => guard.canActivate(contextFor('revokeOthers', request)))).toBeInstanceOf(
      ReauthenticationRequiredException,
    );
  });

  it('refuses a token that records no authentication time', () => {
    const guard = guardAt(new ManualClock(START_MS));
    expect(
      refusal(() => guard.canActivate(contextFor('revokeOthers', { user: principal(null) }))),
    ).toBeInstanceOf(ReauthenticationRequiredException);
  });

  it('takes the password in the body instead, where the route names its field', () => {
    const clock = new ManualClock(START_MS);
    const guard = guardAt(clock);
    const user = principal(START_S - 3600);
    expect(guard.canActivate(contextFor('erase', { user, body: { password: 'secret' } }))).toBe(
      true,
    );
    for (const body of [{}, { password: '' }, { password: 42 }, { other: 'secret' }, undefined]) {
      expect(refusal(() => guard.canActivate(contextFor('erase', { user, body })))).toBeInstanceOf(
        ReauthenticationRequiredException,
      );
    }
    // A route that takes no password is not satisfied by one.
    expect(
      refusal(() =>
        guard.canActivate(contextFor('revokeOthers', { user, body: { password: 'secret' } })),
      ),
    ).toBeInstanceOf(ReauthenticationRequiredException);
  });

  it('leaves routes without the decorator alone', () => {
    const guard = guardAt(new ManualClock(START_MS));
    expect(guard.canActivate(contextFor('ordinary', { user: principal(null) }))).toBe(true);
  });

  it('refuses an anonymous caller', () => {
    const guard = guardAt(new ManualClock(START_MS));
    expect(refusal(() => guard.canActivate(contextFor('revokeOthers', {})))?.getStatus()).toBe(401);
  });
});
