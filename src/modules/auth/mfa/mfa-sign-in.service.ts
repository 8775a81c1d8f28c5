import { BadRequestException, Injectable, UnauthorizedException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DomainEvents, type RequestMeta } from '../../../common/events/domain-events.js';
import { EventPublisher } from '../../../common/events/event-publisher.service.js';
import { Clock } from '../../../common/time/clock.js';
import { UsersService } from '../../users/users.service.js';
import type { AuthResponseDto, MfaRequiredDto } from '../dto/auth-response.dto.js';
import type { MfaVerifyDto } from '../dto/mfa.dto.js';
import { SessionsService, type AuthMethod, type Proof } from '../sessions.service.js';
import { hashToken } from '../token.service.js';
import { MfaRepository } from './mfa.repository.js';
import { SecondFactors, type SecondFactorMethod } from './second-factors.service.js';

export const MFA_TOKEN_TTL_SECONDS = 300;
/** Tries per mfaToken: the fifth wrong code ends it. */
export const MFA_TOKEN_MAX_ATTEMPTS = 5;
/** How long an attempt holds its challenge at most (a crash mid-attempt frees it then). */
const ATTEMPT_HOLD_MS = 15_000;
const EXPIRED = 'This sign-in has expired or is not valid: sign in again';
const FACTORS = ['code', 'recoveryCode', 'webauthn'] as const;

/**
 * The second step of a sign-in with two-step verification on. The first step (the password,
 * later a social sign-in) ends in a challenge instead of a session: an mfaToken, stored as a
 * hash, valid 5 minutes for the client (user agent) that signed in, used once, ended by its
 * fifth wrong code. Each try also counts toward the account's sign-in lock, so new
 * challenges never buy an attacker who has the password more guesses.
 */
@Injectable()
export class MfaSignIn {
  constructor(
    private readonly mfa: MfaRepository,
    private readonly secondFactors: SecondFactors,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly events: EventPublisher,
    private readonly clock: Clock,
  ) {}

  /** The factors to ask for after the first step; empty when two-step verification is off. */
  methods(userId: string): Promise<SecondFactorMethod[]> {
    return this.secondFactors.methods(userId);
  }

  async challenge(
    userId: string,
    firstStep: Proof,
    methods: SecondFactorMethod[],
    meta: RequestMeta,
  ): Promise<MfaRequiredDto> {
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    await this.mfa.createChallenge({
      userId,
      tokenHash: hashToken(token),
      amr: [...firstStep.amr],
      userAgent: meta.userAgent,
      expiresAt: new Date(now.getTime() + MFA_TOKEN_TTL_SECONDS * 1000),
      now,
    });
    return { mfaRequired: true, mfaToken: token, methods, expiresIn: MFA_TOKEN_TTL_SECONDS };
  }

  async verify(input: MfaVerifyDto, meta: RequestMeta): Promise<AuthResponseDto> {
    if (FACTORS.filter((field) => input[field] != null).length !== 1) {
      throw new BadRequestException('Send exactly one of code, recoveryCode or webauthn');
    }
    const now = this.clock.now();
    const challenge = await this.mfa.claimChallengeAttempt(
      hashToken(input.mfaToken),
      now,
      MFA_TOKEN_MAX_ATTEMPTS,
      new Date(now.getTime() + ATTEMPT_HOLD_MS),
    );
    if (!challenge) throw new UnauthorizedException(EXPIRED);
    const user = await this.users.findById(challenge.userId);
    let proven: AuthMethod[];
    try {
      if (challenge.userAgent !== meta.userAgent || !user?.isActive) {
        throw new UnauthorizedException(EXPIRED);
      }
      proven = await this.secondFactors.verify(user, input, meta);
    } catch (error) {
      await this.mfa.releaseChallenge(challenge.id);
      if (error instanceof UnauthorizedException && error.message !== EXPIRED) {
        this.events.publish(DomainEvents.LoginFailed, challenge.userId, meta, {
          reason: 'invalid_second_factor',
        });
      }
      throw error;
    }
    if (!(await this.mfa.completeChallenge(challenge.id))) throw new UnauthorizedException(EXPIRED);
    await this.users.recordLogin(user.id);
    this.events.publish(DomainEvents.LoggedIn, user.id, meta);
    const amr = [...(challenge.amr as AuthMethod[]), ...proven];
    const tokens = await this.sessions.start(user, meta, { amr });
    return { user: await this.users.profile(user.id), ...tokens };
  }
}
