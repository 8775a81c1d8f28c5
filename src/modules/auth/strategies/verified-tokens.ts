import { LRUCache } from 'lru-cache';
import type { Clock } from '../../../common/time/clock.js';

/** Room for every token in use on a busy instance; an entry is a few hundred bytes. */
const CAPACITY = 10_000;

/**
 * Access tokens whose signature, algorithm, issuer, audience and expiry were verified once,
 * with their claims, until they expire: verifying the HMAC and decoding the JSON again on each
 * request was the largest single cost of an authenticated request. Keyed by the whole token,
 * so only the token that was verified, byte for byte, is found. What may change while a token
 * lives (token version, active flag, role, revoked session) is not held here: it is checked
 * on every request, as before.
 */
export class VerifiedTokens<Claims extends { exp: number }> {
  private readonly entries: LRUCache<string, Claims>;

  constructor(
    private readonly clock: Clock,
    capacity = CAPACITY,
  ) {
    this.entries = new LRUCache({ max: capacity });
  }

  /** The token's claims if it was verified and has not expired since. */
  get(token: string): Claims | undefined {
    const claims = this.entries.get(token);
    if (claims === undefined) return undefined;
    // As jsonwebtoken decides: expired from the second `exp` on.
    if (Math.floor(this.clock.nowMs() / 1000) < claims.exp) return claims;
    this.entries.delete(token);
    return undefined;
  }

  remember(token: string, claims: Claims): void {
    if (Number.isInteger(claims.exp)) this.entries.set(token, claims);
  }
}
