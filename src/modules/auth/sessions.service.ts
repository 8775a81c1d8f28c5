import { Injectable, UnauthorizedException } from '@nestjs/common';
import { isMultiFactor, type Principal, type UserRole } from '../../common/auth/auth.decorators.js';
import { DomainEvents, type RequestMeta } from '../../common/events/domain-events.js';
import { EventPublisher } from '../../common/events/event-publisher.service.js';
import { Clock } from '../../common/time/clock.js';
import { AccessStateService } from './access-state.service.js';
import type { TokenPairDto } from './dto/auth-response.dto.js';
import { SessionsRepository } from './sessions.repository.js';
import { TokenRevocation } from './token-revocation.service.js';
import { hashToken, TokenService } from './token.service.js';

const INVALID_REFRESH = 'Invalid or expired refresh token';

/** Whom a session is started for: a user whose identity a sign-in method has proven. */
export interface SessionOwner {
  id: string;
  role: UserRole;
  tokenVersion: number;
}

/**
 * How a user proved who they are, as RFC 8176 names the methods (access tokens carry them as
 * `amr`): `pwd` a password, `otp` a TOTP or recovery code, `hwk` a passkey (a key bound to a
 * device, with user verification), `fed` an OpenID provider (social sign-in), `mfa` more
 * than one factor.
 */
export type AuthMethod = 'pwd' | 'otp' | 'hwk' | 'fed' | 'mfa';

/** How the user proved who they are, as far as the session needs to know. */
export interface Proof {
  amr: readonly AuthMethod[];
  /** The passkey that signed in: the session ends when it is removed. */
  passkeyId?: string;
}

export const PASSWORD_ALONE: Proof = { amr: ['pwd'] };
/** A passkey with user verification: a possession and a PIN or biometric, two factors. */
export const PASSKEY: Proof = { amr: ['hwk', 'mfa'] };
/** A sign-in through an OpenID provider: what the provider checked is its own affair. */
export const FEDERATED: Proof = { amr: ['fed'] };

/**
 * Sessions and their tokens. A session is started once a sign-in method has proven who the
 * user is (the password today; another factor calls `start` the same way and nothing here
 * changes); refreshed with rotation and reuse detection; ended one at a time or all at once.
 */
@Injectable()
export class SessionsService {
  constructor(
    private readonly sessions: SessionsRepository,
    private readonly tokens: TokenService,
    private readonly accessState: AccessStateService,
    private readonly revocation: TokenRevocation,
    private readonly events: EventPublisher,
    private readonly clock: Clock,
  ) {}

  /** The session records when it was authenticated, and how (`proof`), for its tokens. */
  async start(
    user: SessionOwner,
    meta: RequestMeta,
    proof: Proof = PASSWORD_ALONE,
  ): Promise<TokenPairDto> {
    const refresh = this.tokens.newRefreshToken();
    const authenticatedAt = this.clock.now();
    const expiresAt = new Date(authenticatedAt.getTime() + this.tokens.refreshTtlSeconds * 1000);
    // One order everywhere (the renewal's SQL sorts too): sessions and tokens compare equal.
    const amr = [...new Set(proof.amr)].sort();
    const sessionId = await this.sessions.create(user.id, meta, expiresAt, refresh.hash, {
      authenticatedAt,
      mfa: isMultiFactor(amr),
      amr,
      passkeyId: proof.passkeyId ?? null,
    });
    return this.pair(user, { id: sessionId, authenticatedAt, amr }, refresh.token);
  }

  async refresh(refreshToken: string, meta: RequestMeta): Promise<TokenPairDto> {
    const successor = this.tokens.newRefreshToken();
    const outcome = await this.sessions.rotate(
      hashToken(refreshToken),
      meta,
      this.clock.now(),
      this.tokens.reuseGraceSeconds,
      { ...successor, ciphertext: this.tokens.encryptSuccessor(successor.token) },
      { decrypt: (c) => this.tokens.decryptSuccessor(c), hash: hashToken },
    );
    if (outcome.kind === 'reused') {
      // A replayed token means it was stolen: the session's access tokens go with it.
      await this.revocation.sessionEnded(outcome.userId);
      this.events.publish(DomainEvents.RefreshTokenReused, outcome.userId, meta, {
        sessionId: outcome.sessionId,
      });
    }
    if (outcome.kind !== 'rotated') throw new UnauthorizedException(INVALID_REFRESH);
    const access = await this.accessState.get(outcome.userId);
    if (!access?.isActive) throw new UnauthorizedException(INVALID_REFRESH);
    return this.pair(
      { id: outcome.userId, ...access },
      { id: outcome.sessionId, authenticatedAt: outcome.authenticatedAt, amr: outcome.amr },
      outcome.token,
    );
  }

  /**
   * The user proved who they are again, within the session of `principal`: the session records
   * it (its next access tokens carry the new auth_time) and its refresh token is rotated. 401
   * when that session has ended meanwhile.
   */
  async renew(principal: Principal, meta: RequestMeta, proof: Proof): Promise<TokenPairDto> {
    const successor = this.tokens.newRefreshToken();
    const authenticatedAt = this.clock.now();
    const amr = await this.sessions.renew(
      principal.id,
      principal.sessionId,
      meta,
      { authenticatedAt, mfa: isMultiFactor(proof.amr), amr: proof.amr },
      { ...successor, ciphertext: this.tokens.encryptSuccessor(successor.token) },
    );
    const access = amr ? await this.accessState.get(principal.id) : null;
    if (!amr || !access?.isActive) throw new UnauthorizedException('This session has ended');
    return this.pair(
      { id: principal.id, ...access },
      { id: principal.sessionId, authenticatedAt, amr },
      successor.token,
    );
  }

  /** Idempotent: an unknown or already revoked token is not an error. */
  async logout(refreshToken: string, meta: RequestMeta): Promise<void> {
    const userId = await this.sessions.revokeByToken(hashToken(refreshToken), 'logout');
    if (!userId) return;
    await this.revocation.sessionEnded(userId);
    this.events.publish(DomainEvents.LoggedOut, userId, meta);
  }

  /** Every session and every access token of the user, on every instance. */
  async logoutEverywhere(userId: string, meta: RequestMeta): Promise<void> {
    await this.revocation.revokeTokens(userId, { reason: 'logout_all' });
    this.events.publish(DomainEvents.LoggedOutEverywhere, userId, meta);
  }

  private pair(
    user: SessionOwner,
    session: { id: string; authenticatedAt: Date; amr: readonly string[] },
    refreshToken: string,
  ): TokenPairDto {
    return {
      accessToken: this.tokens.issueAccessToken(user, session),
      refreshToken,
      expiresIn: this.tokens.accessTtlSeconds,
    };
  }
}
