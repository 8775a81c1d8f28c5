import { describe, expect, it } from '@jest/globals';
import { NotFoundException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ManualClock } from '../../../test/support/manual-clock.js';
import type { Principal } from '../../common/auth/auth.decorators.js';
import type { EventPublisher } from '../../common/events/event-publisher.service.js';
import type { LiveSession, SessionsRepository } from './sessions.repository.js';
import type { TokenRevocation } from './token-revocation.service.js';
import { ReauthenticationRequiredException } from '../../common/errors/reauthentication-required.exception.js';
import { loadConfig } from '../../config/app-config.js';
import { SESSION_LIST_LIMIT, UserSessionsService } from './user-sessions.service.js';

const CHROME_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

/** One user's sessions in memory, with what the service asks of the repository. */
class FakeSessions implements Pick<
  SessionsRepository,
  'listLive' | 'revokeOwned' | 'revokeAllForUser'
> {
  readonly live = new Map<string, { userId: string; session: LiveSession }>();
  listArguments: unknown[] = [];

  add(userId: string, fields: Partial<LiveSession> = {}): string {
    const id = randomUUID();
    const at = new Date('2026-01-01T12:00:00Z');
    this.live.set(id, {
      userId,
      session: {
        id,
        userAgent: null,
        ipAddress: '203.0.113.7',
        createdAt: at,
        lastUsedAt: at,
        mfa: false,
        ...fields,
      },
    });
    return id;
  }

  async listLive(userId: string, firstSessionId: string, now: Date, limit: number) {
    this.listArguments = [userId, firstSessionId, now, limit];
    return [...this.live.values()]
      .filter((entry) => entry.userId === userId)
      .map((entry) => entry.session);
  }

  async revokeOwned(userId: string, sessionId: string) {
    if (this.live.get(sessionId)?.userId !== userId) return false;
    this.live.delete(sessionId);
    return true;
  }

  async revokeAllForUser(userId: string, _reason: string, exceptSessionId: string | null = null) {
    for (const [id, entry] of this.live) {
      if (entry.userId === userId && id !== exceptSessionId) this.live.delete(id);
    }
  }
}

class FakeRevocation implements Pick<TokenRevocation, 'sessionEnded'> {
  readonly ended: string[] = [];
  async sessionEnded(userId: string) {
    this.ended.push(userId);
  }
}

class FakeEvents implements Pick<EventPublisher, 'publish'> {
  readonly published: unknown[][] = [];
  publish(...args: unknown[]) {
    this.published.push(args);
  }
}

const meta = { ip: '203.0.113.7', userAgent: 'spec/1' };

function setUp() {
  const sessions = new FakeSessions();
  const revocation = new FakeRevocation();
  const events = new FakeEvents();
  const clock = new ManualClock(Date.UTC(2026, 0, 2));
  const service = new UserSessionsService(
    sessions as unknown as SessionsRepository,
    revocation as unknown as TokenRevocation,
    events as unknown as EventPublisher,
    clock,
    loadConfig({ NODE_ENV: 'test' }),
  );
  const userId = randomUUID();
  const currentId = sessions.add(userId, { userAgent: CHROME_MAC, mfa: true });
  // Signed in a minute ago: recent enough for the step-up (10 minutes by default).
  const principal: Principal = {
    id: userId,
    role: 'user',
    sessionId: currentId,
    authTime: Math.floor(clock.nowMs() / 1000) - 60,
    amr: ['pwd'],
  };
  return { sessions, revocation, events, clock, service, principal };
}

describe(UserSessionsService.name, () => {
  it("marks the session of the caller's token as current, and only that one", async () => {
    const { sessions, service, principal } = setUp();
    const otherId = sessions.add(principal.id);

    const listed = await service.list(principal);

    expect(listed.map((session) => [session.id, session.current])).toEqual([
      [principal.sessionId, true],
      [otherId, false],
    ]);
  });

  it("asks for the caller's session first, the live ones as of the clock, and a bounded list", async () => {
    const { sessions, clock, service, principal } = setUp();
    await service.list(principal);
    expect(sessions.listArguments).toEqual([
      principal.id,
      principal.sessionId,
      clock.now(),
      SESSION_LIST_LIMIT,
    ]);
  });

  it("describes each session's device from its user agent, with its address and factor", async () => {
    const { service, principal } = setUp();
    const [current] = await service.list(principal);
    expect(current).toMatchObject({
      ip: '203.0.113.7',
      userAgent: CHROME_MAC,
      device: { browser: 'Chrome 120', os: 'macOS 10.15.7' },
      mfa: true,
    });
  });

  it('needs a recent authentication to end another session, checked before the id is looked up', async () => {
    const { sessions, clock, service, principal } = setUp();
    const otherId = sessions.add(principal.id);
    clock.advance(11 * 60_000);

    for (const id of [otherId, randomUUID()]) {
      await expect(service.end(principal, id, meta)).rejects.toEqual(
        expect.any(ReauthenticationRequiredException),
      );
    }
    expect(sessions.live.has(otherId)).toBe(true);
    // Ending the current session is a logout: no step-up.
    await service.end(principal, principal.sessionId, meta);
    expect(sessions.live.has(principal.sessionId)).toBe(false);
  });

  it("ends one of the caller's sessions, and its access tokens with it", async () => {
    const { sessions, revocation, events, service, principal } = setUp();
    const otherId = sessions.add(principal.id);

    await service.end(principal, otherId, meta);

    expect(sessions.live.has(otherId)).toBe(false);
    expect(revocation.ended).toEqual([principal.id]);
    expect(events.published).toEqual([
      ['auth.session_ended', principal.id, meta, { sessionId: otherId }],
    ]);
  });

  it("answers 404 for another user's session and for an unknown id, ending nothing", async () => {
    const { sessions, revocation, service, principal } = setUp();
    const foreign = sessions.add(randomUUID());

    for (const id of [foreign, randomUUID()]) {
      await expect(service.end(principal, id, meta)).rejects.toThrow(NotFoundException);
    }
    expect(sessions.live.has(foreign)).toBe(true);
    expect(revocation.ended).toEqual([]);
  });

  it('ends every other session of the caller and keeps the current one', async () => {
    const { sessions, revocation, service, principal } = setUp();
    sessions.add(principal.id);
    sessions.add(principal.id);
    const foreign = sessions.add(randomUUID());

    await service.endOthers(principal, meta);

    expect([...sessions.live.keys()].sort()).toEqual([principal.sessionId, foreign].sort());
    expect(revocation.ended).toEqual([principal.id]);
  });
});
