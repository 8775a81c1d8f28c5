import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as client from 'openid-client';
import { loadConfig } from '../../../config/app-config.js';
import { OidcClients } from './oidc-clients.service.js';

/** A provider's keys: the set it publishes, and tokens signed with any key. */
async function key(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const sign = (claims: Record<string, unknown> = {}) =>
    new SignJWT({ sub: 'someone', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
  return { jwk, sign };
}

describe('OidcClients.verifySignature', () => {
  let server: Server;
  let published: JWK[] = [];
  let requests = 0;
  let configuration: client.Configuration;
  const clients = new OidcClients(
    loadConfig({
      OIDC_PROVIDERS: 'acme',
      OIDC_ACME_ISSUER: 'http://127.0.0.1:1',
      OIDC_ACME_CLIENT_ID: 'id',
      OIDC_ACME_CLIENT_SECRET: 'secret',
    }),
  );
  const provider = clients.provider('acme');

  beforeAll(async () => {
    server = createServer((_request, response) => {
      requests += 1;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
    configuration = {
      serverMetadata: () => ({
        jwks_uri: jwksUri,
        id_token_signing_alg_values_supported: ['RS256'],
      }),
    } as unknown as client.Configuration;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('accepts a token signed with a published key, refuses any other, and follows a rotation', async () => {
    const first = await key('first');
    const stranger = await key('stranger');
    const next = await key('next');
    published = [first.jwk];

    await expect(
      clients.verifySignature(provider, configuration, await first.sign()),
    ).resolves.toBeUndefined();
    expect(requests).toBe(1);

    // Signed by a key the provider never published: refused, after looking once more.
    await expect(
      clients.verifySignature(provider, configuration, await stranger.sign()),
    ).rejects.toThrow();
    expect(requests).toBe(2);

    // The provider rotates: a token with the new kid makes the set be fetched again at once.
    published = [next.jwk];
    await expect(
      clients.verifySignature(provider, configuration, await next.sign()),
    ).resolves.toBeUndefined();
    expect(requests).toBe(3);
    await expect(
      clients.verifySignature(provider, configuration, await next.sign()),
    ).resolves.toBeUndefined();
    expect(requests).toBe(3);
  });

  it('refuses a token whose signature was altered, and an unsigned one', async () => {
    const only = await key('only');
    published = [only.jwk];
    const token = await only.sign();
    const [header, payload, signature] = token.split('.');
    const altered = `${header}.${payload}.${signature.slice(0, -4)}AAAA`;
    await expect(clients.verifySignature(provider, configuration, altered)).rejects.toThrow();
    const forgedPayload = Buffer.from(JSON.stringify({ sub: 'admin' })).toString('base64url');
    await expect(
      clients.verifySignature(provider, configuration, `${header}.${forgedPayload}.${signature}`),
    ).rejects.toThrow();
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    await expect(clients.verifySignature(provider, configuration, none)).rejects.toThrow();
  });
});
