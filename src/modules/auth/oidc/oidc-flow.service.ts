import { BadRequestException, Injectable, Logger } from '@nestjs/common';
import * as client from 'openid-client';
import { derivedKey } from '../../../common/crypto/derived-key.js';
import { SecretBox } from '../../../common/crypto/secret-box.js';
import { normaliseEmail } from '../../../common/text/identifiers.js';
import { Clock } from '../../../common/time/clock.js';
import { AppConfig } from '../../../config/app-config.js';
import { hashToken } from '../token.service.js';
import { OidcClients } from './oidc-clients.service.js';
import { OidcRepository } from './oidc.repository.js';

/** How long a started sign-in may take at the provider. */
export const OIDC_STATE_TTL_SECONDS = 600;
const SCOPE = 'openid email profile';
const UNKNOWN_STATE =
  'This sign-in request is unknown, used already, expired or not for this route: start again';
const NOT_COMPLETED = 'The sign-in could not be completed with the provider: start again';

export type OidcPurpose = 'signin' | 'link';

/** The provider's callback, as the web app forwards it. */
export interface OidcCallback {
  code: string;
  state: string;
  /** RFC 9207's issuer parameter, when the provider sends one. */
  iss?: string;
}

/** What the provider proved, from an ID token the library verified. */
export interface VerifiedIdentity {
  provider: string;
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}

/**
 * The authorization code flow with openid-client: PKCE (S256), state and nonce for every
 * request, kept server-side (oidc_states: the state hashed, the verifier and nonce sealed) so
 * any instance finishes what another started, each usable once within 10 minutes. The library
 * verifies the ID token's issuer, audience, expiry and nonce, and OidcClients its signature
 * against the provider's published keys.
 */
@Injectable()
export class OidcFlow {
  private readonly logger = new Logger(OidcFlow.name);
  private readonly box: SecretBox;
  private readonly frontend: URL;

  constructor(
    private readonly clients: OidcClients,
    private readonly states: OidcRepository,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.box = new SecretBox(derivedKey(config.jwt.secret, 'insightsheet oidc checks v1'));
    this.frontend = new URL(config.frontendUrl);
  }

  /** The provider's authorization URL for a new request; `userId` for a link. */
  async start(
    providerId: string,
    redirectUri: string,
    purpose: OidcPurpose,
    userId: string | null,
  ): Promise<string> {
    const provider = this.clients.provider(providerId);
    this.assertUnderFrontend(redirectUri);
    const configuration = await this.clients.configuration(provider);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const now = this.clock.now();
    await this.states.saveState(
      {
        stateHash: hashToken(state),
        provider: provider.id,
        purpose,
        userId,
        redirectUri,
        sealedChecks: this.box.seal(JSON.stringify({ verifier, nonce }), provider.id),
        expiresAt: new Date(now.getTime() + OIDC_STATE_TTL_SECONDS * 1000),
      },
      now,
    );
    return client.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: SCOPE,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    }).href;
  }

  /**
   * Finishes a request: its state is used up whatever happens next; it must be this
   * provider's, for this purpose (and user), and unexpired; then the code is exchanged with
   * the verifier and the ID token checked against the nonce. 400 for anything wrong, logged
   * without a code or token.
   */
  async complete(
    providerId: string,
    callback: OidcCallback,
    purpose: OidcPurpose,
    userId: string | null,
  ): Promise<VerifiedIdentity> {
    const provider = this.clients.provider(providerId);
    const stored = await this.states.consumeState(hashToken(callback.state));
    if (
      !stored ||
      stored.expiresAt.getTime() <= this.clock.nowMs() ||
      stored.provider !== provider.id ||
      stored.purpose !== purpose ||
      stored.userId !== userId
    ) {
      this.logger.warn({ provider: provider.id, purpose }, 'OpenID sign-in with an unusable state');
      throw new BadRequestException(UNKNOWN_STATE);
    }
    const { verifier, nonce } = JSON.parse(
      this.box.open(stored.sealedChecks, provider.id).toString('utf8'),
    ) as { verifier: string; nonce: string };
    const configuration = await this.clients.configuration(provider);
    const currentUrl = new URL(stored.redirectUri);
    currentUrl.searchParams.set('code', callback.code);
    currentUrl.searchParams.set('state', callback.state);
    if (callback.iss !== undefined) currentUrl.searchParams.set('iss', callback.iss);
    let claims: client.IDToken | undefined;
    try {
      const tokens = await client.authorizationCodeGrant(configuration, currentUrl, {
        pkceCodeVerifier: verifier,
        expectedState: callback.state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims();
      if (!tokens.id_token) throw new Error('No ID token');
      await this.clients.verifySignature(provider, configuration, tokens.id_token);
    } catch (error) {
      const {
        name,
        code,
        error: oauthError,
      } = error as {
        name?: string;
        code?: string;
        error?: string;
      };
      this.logger.warn(
        { provider: provider.id, purpose, error: name, code, oauthError },
        'OpenID sign-in refused',
      );
      throw new BadRequestException(NOT_COMPLETED);
    }
    if (!claims || typeof claims.sub !== 'string') throw new BadRequestException(NOT_COMPLETED);
    const email = typeof claims.email === 'string' ? providerEmail(claims.email) : null;
    return {
      provider: provider.id,
      issuer: claims.iss,
      subject: claims.sub,
      email,
      emailVerified: claims.email_verified === true,
      name: typeof claims.name === 'string' ? claims.name.trim().slice(0, 100) : null,
    };
  }

  /** 400 unless the redirect URI is on FRONTEND_URL's origin, under its path. */
  private assertUnderFrontend(redirectUri: string): void {
    const url = URL.canParse(redirectUri) ? new URL(redirectUri) : null;
    const base = this.frontend.pathname.endsWith('/')
      ? this.frontend.pathname
      : `${this.frontend.pathname}/`;
    if (
      !url ||
      // Sent to the provider exactly as checked: no text the parser would read otherwise.
      url.href !== redirectUri ||
      url.origin !== this.frontend.origin ||
      url.username !== '' ||
      url.password !== '' ||
      url.hash !== '' ||
      !(url.pathname === this.frontend.pathname || url.pathname.startsWith(base))
    ) {
      throw new BadRequestException('redirectUri must be a page of the web app (FRONTEND_URL)');
    }
  }
}

/**
 * The provider's address in the form accounts use, or null when it is not one plain form:
 * compatibility characters (a Kelvin sign, fullwidth letters, ligatures) would fold onto
 * another person's address once lower-cased or delivered, so such an address is not used.
 */
function providerEmail(raw: string): string | null {
  const trimmed = raw.trim();
  if (trimmed.normalize('NFKC') !== trimmed) return null;
  const email = normaliseEmail(trimmed);
  return typeof email === 'string' && email.length > 0 && email.length <= 254 ? email : null;
}
