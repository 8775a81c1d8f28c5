import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import * as client from 'openid-client';
import { ServiceUnavailableWithRetryException } from '../../../common/errors/service-unavailable.exception.js';
import { AppConfig, type OidcProviderConfig } from '../../../config/app-config.js';

/** How long one discovery request may take, in seconds. */
const DISCOVERY_TIMEOUT_SECONDS = 10;
/** How long a provider's keys are trusted before they are fetched again anyway. */
const JWKS_MAX_AGE_MS = 10 * 60_000;

/**
 * The configured OpenID providers and, for each, its openid-client Configuration from
 * discovery (issuer metadata; the JWKS is fetched by the library, and fetched again when a
 * token names a key it has not seen, so a provider's key rotation needs nothing here). A
 * failed discovery is not kept: the next request tries again.
 */
@Injectable()
export class OidcClients {
  private readonly logger = new Logger(OidcClients.name);
  private readonly configurations = new Map<string, Promise<client.Configuration>>();
  private readonly providers: Map<string, OidcProviderConfig>;
  private readonly keySets = new Map<string, JWTVerifyGetKey>();

  constructor(config: AppConfig) {
    this.providers = new Map(config.oidc.map((provider) => [provider.id, provider]));
  }

  list(): { id: string; name: string }[] {
    return [...this.providers.values()].map(({ id, name }) => ({ id, name }));
  }

  /** The button name; the id itself for a provider no longer configured. */
  providerName(id: string): string {
    return this.providers.get(id)?.name ?? id;
  }

  /**
   * Verifies the ID token's signature with the provider's published keys. openid-client
   * checks the token's issuer, audience, expiry and nonce, but in the code flow takes the
   * signature on trust of the TLS connection to the token endpoint; this checks it too. A
   * token naming a key not in the cached set fetches the set again at once (a rotation):
   * such a token can only come from the provider's token endpoint, so no caller can make the
   * service fetch keys at will. Throws when the signature does not verify.
   */
  async verifySignature(
    provider: OidcProviderConfig,
    configuration: client.Configuration,
    idToken: string,
  ): Promise<void> {
    let keys = this.keySets.get(provider.id);
    if (!keys) {
      const jwksUri = configuration.serverMetadata().jwks_uri;
      if (!jwksUri) throw new Error('The provider publishes no jwks_uri');
      keys = createRemoteJWKSet(new URL(jwksUri), {
        cooldownDuration: 0,
        cacheMaxAge: JWKS_MAX_AGE_MS,
        timeoutDuration: DISCOVERY_TIMEOUT_SECONDS * 1000,
      });
      this.keySets.set(provider.id, keys);
    }
    const algorithms = configuration.serverMetadata().id_token_signing_alg_values_supported ?? [
      'RS256',
    ];
    await jwtVerify(idToken, keys, { algorithms: algorithms.filter((alg) => alg !== 'none') });
  }

  /** 404 for a provider that is not configured. */
  provider(id: string): OidcProviderConfig {
    const provider = this.providers.get(id);
    if (!provider) throw new NotFoundException('Unknown sign-in provider');
    return provider;
  }

  /** 503 while the provider's discovery document cannot be read. */
  async configuration(provider: OidcProviderConfig): Promise<client.Configuration> {
    let pending = this.configurations.get(provider.id);
    if (!pending) {
      pending = client.discovery(
        new URL(provider.issuer),
        provider.clientId,
        provider.clientSecret,
        undefined,
        {
          // Only outside production (see app-config.ts): a provider on loopback in tests.
          execute: provider.issuer.startsWith('http:') ? [client.allowInsecureRequests] : [],
          timeout: DISCOVERY_TIMEOUT_SECONDS,
        },
      );
      this.configurations.set(provider.id, pending);
      pending.catch(() => this.configurations.delete(provider.id));
    }
    try {
      return await pending;
    } catch (error) {
      this.logger.warn(
        { provider: provider.id, code: (error as { code?: string }).code },
        'OpenID provider discovery failed',
      );
      throw new ServiceUnavailableWithRetryException(
        'The sign-in provider cannot be reached; retry later',
        5,
      );
    }
  }
}
