import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { isUuid } from '../../../common/text/identifiers.js';
import { AppConfig } from '../../../config/app-config.js';
import { AccessStateService } from '../access-state.service.js';
import type { Principal } from '../../../common/auth/auth.decorators.js';
import { accessTokenKey, type AccessClaims } from '../token.service.js';

/**
 * Bearer access tokens: HS256 only (alg none and every other algorithm refused), with the
 * configured issuer and audience, unexpired, of type "access", and with the user's current
 * token version: a logout-all, password change or reset, role change or deactivation
 * refuses every earlier token at once. A token of a revoked session (logout, replayed refresh
 * token) is refused too. Refresh tokens are not JWTs and never pass.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    config: AppConfig,
    private readonly accessState: AccessStateService,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // passport-jwt hands this to jsonwebtoken, which takes a KeyObject; its types say Buffer.
      secretOrKey: accessTokenKey(config) as unknown as Buffer,
      algorithms: ['HS256'],
      issuer: config.auth.issuer,
      audience: config.auth.audience,
      ignoreExpiration: false,
    });
  }

  async validate(claims: AccessClaims): Promise<Principal | false> {
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
