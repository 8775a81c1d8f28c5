import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

/** How refresh and reset tokens are stored: their SHA-256. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** The HS256 key as a KeyObject, shared by signing (JwtModule) and verification (JwtStrategy). */
export function accessTokenKey(config: AppConfig): KeyObject {
  return createSecretKey(Buffer.from(config.jwt.secret, 'utf8'));
}
import { derivedKey } from '../../common/crypto/derived-key.js';
import { SecretBox } from '../../common/crypto/secret-box.js';
import { AppConfig } from '../../config/app-config.js';
import type { UserRole } from '../../common/auth/auth.decorators.js';

export interface AccessClaims {
  sub: string;
  role: UserRole;
  /** The user's token version when issued; a bump refuses the token everywhere. */
  tv: number;
  /** The session (login) the token belongs to. */
  sid: string;
  /**
   * When the user last proved who they are in that session (seconds since the epoch, as
   * OpenID Connect's auth_time): sign-in, or the latest reauthentication. Refreshes carry it on.
   */
  auth_time: number;
  /** How the user authenticated in that session (RFC 8176 names: pwd, otp, hwk, mfa). */
  amr: string[];
  typ: 'access';
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/**
 * Access tokens: HS256 JWTs with exp, iat, iss, aud, sub, role, token version, session and
 * auth_time and amr, signed and verified with a KeyObject (jsonwebtoken given a string secret first
 * tries it as a public key, about 330 us per verify). Refresh tokens: 256 random bits, stored as a
 * SHA-256 hash; a rotated token's successor is kept encrypted (AES-256-GCM, key derived from
 * JWT_SECRET) for the grace window in which a second tab may still present the old one.
 */
@Injectable()
export class TokenService {
  private readonly successorBox: SecretBox;
  /** Lifetime of an access token, as told to clients (expiresIn). */
  readonly accessTtlSeconds: number;
  readonly refreshTtlSeconds: number;
  /** How long a rotated refresh token still yields its successor (a second tab). */
  readonly reuseGraceSeconds: number;

  constructor(
    private readonly jwt: JwtService,
    config: AppConfig,
  ) {
    this.accessTtlSeconds = config.jwt.accessTtlSeconds;
    this.refreshTtlSeconds = config.jwt.refreshTtlSeconds;
    this.reuseGraceSeconds = config.auth.refreshReuseGraceSeconds;
    this.successorBox = new SecretBox(
      derivedKey(config.jwt.secret, 'insightsheet refresh successor v1'),
    );
  }

  /** Signed with the module's KeyObject, HS256, with iss, aud and exp (see auth.module.ts). */
  issueAccessToken(
    user: { id: string; role: UserRole; tokenVersion: number },
    session: { id: string; authenticatedAt: Date; amr: readonly string[] },
  ): string {
    const claims: AccessClaims = {
      sub: user.id,
      role: user.role,
      tv: user.tokenVersion,
      sid: session.id,
      auth_time: Math.floor(session.authenticatedAt.getTime() / 1000),
      amr: [...session.amr],
      typ: 'access',
    };
    return this.jwt.sign(claims);
  }

  newRefreshToken(): { token: string; hash: Buffer } {
    const token = randomBytes(32).toString('base64url');
    return { token, hash: hashToken(token) };
  }

  encryptSuccessor(token: string): Buffer {
    return this.successorBox.seal(token);
  }

  decryptSuccessor(ciphertext: Buffer): string | undefined {
    try {
      return this.successorBox.open(ciphertext).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
