import { BadRequestException, Injectable } from '@nestjs/common';
import { Clock } from '../../../common/time/clock.js';
import { AppConfig } from '../../../config/app-config.js';
import type { WebAuthnChallengePurpose } from './webauthn-challenge.entity.js';
import { WebAuthnChallengesRepository } from './webauthn-challenges.repository.js';

const MALFORMED = 'The WebAuthn response is malformed';
const NOT_LIVE =
  'This WebAuthn challenge is unknown, used already or expired: ask for new options and try again';
/** Ours are 32 bytes (43 characters); anything much longer was never issued. */
const CHALLENGE_MAX_LENGTH = 128;

/**
 * The challenge a browser signed, read from the response's clientDataJSON (base64url JSON).
 * 400 when it cannot be read: it is never trusted beyond finding the stored challenge, which
 * the signature check then binds to the response.
 */
export function challengeOf(response: unknown): string {
  const clientDataJSON = (response as { response?: { clientDataJSON?: unknown } } | null)?.response
    ?.clientDataJSON;
  if (typeof clientDataJSON !== 'string' || !/^[A-Za-z0-9_-]+$/.test(clientDataJSON))
    throw new BadRequestException(MALFORMED);
  let clientData: unknown;
  try {
    clientData = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
  } catch {
    throw new BadRequestException(MALFORMED);
  }
  const challenge = (clientData as { challenge?: unknown } | null)?.challenge;
  if (
    typeof challenge !== 'string' ||
    challenge.length === 0 ||
    challenge.length > CHALLENGE_MAX_LENGTH ||
    !/^[A-Za-z0-9_-]+$/.test(challenge)
  )
    throw new BadRequestException(MALFORMED);
  return challenge;
}

/**
 * Challenges of WebAuthn ceremonies, kept server-side: each is used at most once and within
 * WEBAUTHN_CHALLENGE_TTL_SECONDS, for the purpose (and, to register, by the user) it was
 * issued for.
 */
@Injectable()
export class WebAuthnChallenges {
  private readonly ttlMs: number;

  constructor(
    private readonly challenges: WebAuthnChallengesRepository,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.ttlMs = config.webauthn.challengeTtlSeconds * 1000;
  }

  get ttlSeconds(): number {
    return this.ttlMs / 1000;
  }

  async issue(
    challenge: string,
    purpose: WebAuthnChallengePurpose,
    userId: string | null,
  ): Promise<void> {
    const now = this.clock.now();
    await this.challenges.insert(
      challenge,
      purpose,
      userId,
      new Date(now.getTime() + this.ttlMs),
      now,
    );
  }

  /**
   * Uses up the challenge inside `response` and returns it; 400 when the response carries no
   * readable challenge, or one that is not live for this purpose and user.
   */
  async consume(
    response: unknown,
    purpose: WebAuthnChallengePurpose,
    userId: string | null,
  ): Promise<string> {
    const challenge = challengeOf(response);
    const live = await this.challenges.consume(challenge, purpose, userId, this.clock.now());
    if (!live) throw new BadRequestException(NOT_LIVE);
    return challenge;
  }
}
