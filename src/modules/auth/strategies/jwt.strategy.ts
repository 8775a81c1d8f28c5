import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { isUuid } from '../../../common/text/identifiers.js';
import { Clock } from '../../../common/time/clock.js';
import { AppConfig } from '../../../config/app-config.js';
import { AccessStateService } from '../access-state.service.js';
import type { Principal } from '../../../common/auth/auth.decorators.js';
import { accessTokenKey, type AccessClaims } from '../token.service.js';
import { VerifiedTokens } from './verified-tokens.js';

type VerifiedClaims = AccessClaims & { exp: number };
/** passport-jwt's types name Express's request; the Fastify request carries the same headers. */
type Request = Parameters<Strategy['authenticate']>[0];

const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();
const BEARER = 'Bearer ';

/**
 * Bearer access tokens: HS256 only (alg none and every other algorithm refused), with the
 * configured issuer and audience, unexpired, of type "access", and with the user's current
 * token version: a logout-all, password change or reset, role change or deactivation
 * refuses every earlier token at once. A token of a revoked session (logout, replayed refresh
 * token) is refused too. Refresh tokens are not JWTs and never pass.
 *
 * passport-jwt verifies a token the first time it is seen; until it expires, the same token
 * is found in VerifiedTokens and only its claims are checked (validate), on every request.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly verified: VerifiedTokens<VerifiedClaims>;

  constructor(
    config: AppConfig,
    private readonly accessState: AccessStateService,
    clock: Clock,
  ) {
    super({
      jwtFromRequest: bearerToken,
      // passport-jwt hands this to jsonwebtoken, which takes a KeyObject; its types say Buffer.
      secretOrKey: accessTokenKey(config) as unknown as Buffer,
      algorithms: ['HS256'],
      issuer: config.auth.issuer,
      audience: config.auth.audience,
      ignoreExpiration: false,
      passReqToCallback: true,
    });
    this.verified = new VerifiedTokens(clock);
  }

  override authenticate(request: Request, options?: object): void {
    const token = bearerToken(request);
    const claims = token ? this.verified.get(token) : undefined;
    if (claims === undefined) return super.authenticate(request, options);
    this.principalOf(claims).then(
      (principal) => (principal ? this.success(principal) : this.fail(401)),
      (error: unknown) => this.error(error as Error),
    );
  }

  /** After passport-jwt verified the token: its claims checked, and the token kept if they hold. */
  async validate(request: Request, claims: VerifiedClaims): Promise<Principal | false> {
    const principal = await this.principalOf(claims);
    // Only a header that is the scheme and the token alone: the token is a slice of the header,
    // which V8 keeps whole behind it, so anything padded around a token would be kept too.
    const token = bearerToken(request);
    if (
      principal &&
      token &&
      request.headers.authorization?.length === BEARER.length + token.length
    )
      this.verified.remember(token, claims);
    return principal;
  }

  /** The caller a verified token names, if its claims still hold for the user's access. */
  private async principalOf(claims: VerifiedClaims): Promise<Principal | false> {
    if (claims.typ !== 'access' || typeof claims.sub !== 'string' || !isUuid(claims.sub))
      return false;
    if (typeof claims.tv !== 'number' || typeof claims.sid !== 'string') return false;
    const state = await this.accessState.get(claims.sub);
    if (!state || !state.isActive || state.tokenVersion !== claims.tv) return false;
    if (state.revokedSessions.includes(claims.sid)) return false;
    const authTime = Number.isInteger(claims.auth_time) ? claims.auth_time : null;
    const amr = Array.isArray(claims.amr) ? claims.amr.filter((m) => typeof m === 'string') : [];
    return { id: claims.sub, role: state.role, sessionId: claims.sid, authTime, amr };
  }
}
