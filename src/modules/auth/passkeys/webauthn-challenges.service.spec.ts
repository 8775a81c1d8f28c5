import { describe, expect, it } from '@jest/globals';
import { BadRequestException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ManualClock } from '../../../../test/support/manual-clock.js';
import { loadConfig } from '../../../config/app-config.js';
import type { WebAuthnChallengePurpose } from './webauthn-challenge.entity.js';
import type { WebAuthnChallengesRepository } from './webauthn-challenges.repository.js';
import { challengeOf, WebAuthnChallenges } from './webauthn-challenges.service.js';

const encode = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const responseWith = (clientData: unknown) => ({
  id: 'abc',
  response: { clientDataJSON: encode(clientData) },
});

interface Stored {
  challenge: string;
  purpose: WebAuthnChallengePurpose;
  userId: string | null;
  expiresAt: Date;
}

/** The table's rule: one row per challenge, deleted when consumed, live until expiresAt. */
class FakeChallenges implements Pick<WebAuthnChallengesRepository, 'insert' | 'consume'> {
  readonly rows = new Map<string, Stored>();
  async insert(
    challenge: string,
    purpose: WebAuthnChallengePurpose,
    userId: string | null,
    expiresAt: Date,
  ) {
    this.rows.set(challenge, { challenge, purpose, userId, expiresAt });
  }
  async consume(
    challenge: string,
    purpose: WebAuthnChallengePurpose,
    userId: string | null,
    now: Date,
  ) {
    const row = this.rows.get(challenge);
    if (!row || row.purpose !== purpose || row.userId !== userId) return false;
    this.rows.delete(challenge);
    return row.expiresAt > now;
  }
}

function setUp() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const repository = new FakeChallenges();
  const challenges = new WebAuthnChallenges(
    repository as unknown as WebAuthnChallengesRepository,
    clock,
    loadConfig({ WEBAUTHN_CHALLENGE_TTL_SECONDS: '300' }),
  );
  return { clock, repository, challenges };
}

describe(challengeOf.name, () => {
  it('reads the challenge the browser signed', () => {
    expect(challengeOf(responseWith({ type: 'webauthn.get', challenge: 'q1w2-e3_r4' }))).toBe(
      'q1w2-e3_r4',
    );
  });

  it.each([
    ['no response', {}],
    ['clientDataJSON not a string', { response: { clientDataJSON: 42 } }],
    ['clientDataJSON not base64url', { response: { clientDataJSON: 'ab+/==' } }],
    ['clientDataJSON not JSON', responseWith('{"challenge": ')],
    ['JSON but not an object', responseWith('"text"')],
    ['no challenge', responseWith({ type: 'webauthn.get' })],
    ['a challenge that is not a string', responseWith({ challenge: 12 })],
    ['a challenge that is not base64url', responseWith({ challenge: 'a b' })],
    ['an overlong challenge', responseWith({ challenge: 'a'.repeat(129) })],
  ])('answers 400 for %s', (_case, response) => {
    expect(() => challengeOf(response)).toThrow(BadRequestException);
  });
});

describe(WebAuthnChallenges.name, () => {
  it('keeps a challenge for WEBAUTHN_CHALLENGE_TTL_SECONDS', async () => {
    const { clock, repository, challenges } = setUp();
    await challenges.issue('c1', 'authentication', null);
    expect(repository.rows.get('c1')?.expiresAt).toEqual(new Date(clock.nowMs() + 300_000));

    clock.advance(299_000);
    await expect(
      challenges.consume(responseWith({ challenge: 'c1' }), 'authentication', null),
    ).resolves.toBe('c1');
  });

  it('refuses an expired challenge with 400', async () => {
    const { clock, challenges } = setUp();
    await challenges.issue('c2', 'authentication', null);
    clock.advance(300_001);
    await expect(
      challenges.consume(responseWith({ challenge: 'c2' }), 'authentication', null),
    ).rejects.toBeInstanceOf(BadRequestException);
  });

  it('uses a challenge once', async () => {
    const { challenges } = setUp();
    await challenges.issue('c3', 'authentication', null);
    const response = responseWith({ challenge: 'c3' });
    await challenges.consume(response, 'authentication', null);
    await expect(challenges.consume(response, 'authentication', null)).rejects.toBeInstanceOf(
      BadRequestException,
    );
  });

  it('binds a registration challenge to its user and purpose', async () => {
    const { challenges } = setUp();
    const owner = randomUUID();
    await challenges.issue('c4', 'registration', owner);
    const response = responseWith({ challenge: 'c4' });
    await expect(challenges.consume(response, 'authentication', null)).rejects.toBeInstanceOf(
      BadRequestException,
    );
    await expect(challenges.consume(response, 'registration', randomUUID())).rejects.toBeInstanceOf(
      BadRequestException,
    );
    await expect(challenges.consume(response, 'registration', owner)).resolves.toBe('c4');
  });
});
