import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import * as client from 'openid-client';
import { TestOidcProvider } from '../support/oidc-provider.js';

const CLIENT_ID = 'insightsheet-test';
const CLIENT_SECRET = 'insightsheet-test-secret';
const REDIRECT_URI = 'http://127.0.0.1:9/auth/oidc/callback';
const ADA = { sub: 'ada-0001', email: 'ada@example.test', emailVerified: true, name: 'Ada' };

function kidOf(idToken: string): string {
  const header = JSON.parse(Buffer.from(idToken.split('.')[0], 'base64url').toString('utf8')) as {
    kid: string;
  };
  return header.kid;
}

async function discover(
  provider: TestOidcProvider,
  auth: client.ClientAuth = client.ClientSecretBasic(CLIENT_SECRET),
): Promise<client.Configuration> {
  return client.discovery(new URL(provider.issuer), CLIENT_ID, undefined, auth, {
    execute: [client.allowInsecureRequests],
  });
}

/** What the relying party does: a PKCE, state and nonce authorization request. */
async function startLogin(config: client.Configuration) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid email profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { url, verifier, state, nonce };
}

async function signIn(provider: TestOidcProvider, config: client.Configuration, sub = ADA.sub) {
  const login = await startLogin(config);
  const { redirect } = await provider.authorize(login.url.href, { sub });
  return client.authorizationCodeGrant(config, redirect, {
    pkceCodeVerifier: login.verifier,
    expectedState: login.state,
    expectedNonce: login.nonce,
    idTokenExpected: true,
  });
}

describe('TestOidcProvider with openid-client', () => {
  let provider: TestOidcProvider;

  beforeAll(async () => {
    provider = await TestOidcProvider.start({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [REDIRECT_URI],
      users: [ADA],
    });
  });
  afterAll(() => provider.stop());
  afterEach(() => {
    jest.restoreAllMocks();
    expect(provider.problems).toEqual([]);
  });

  it('serves discovery on loopback http with its issuer exactly', async () => {
    expect(provider.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const metadata = (await discover(provider)).serverMetadata();
    expect(metadata.issuer).toBe(provider.issuer);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.response_types_supported).toEqual(['code']);
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post']),
    );
    expect(metadata.claims_supported).toEqual(
      expect.arrayContaining(['sub', 'email', 'email_verified', 'name']),
    );
  });

  it('signs a user in through the code flow with PKCE, state and nonce', async () => {
    const config = await discover(provider);
    const login = await startLogin(config);
    const authorization = await provider.authorize(login.url.href, { sub: ADA.sub });
    expect(authorization.state).toBe(login.state);
    expect(authorization.redirect.origin + authorization.redirect.pathname).toBe(REDIRECT_URI);
    expect(authorization.redirect.searchParams.get('iss')).toBe(provider.issuer);

    const tokens = await client.authorizationCodeGrant(config, authorization.redirect, {
      pkceCodeVerifier: login.verifier,
      expectedState: login.state,
      expectedNonce: login.nonce,
      idTokenExpected: true,
    });
    expect(tokens.claims()).toMatchObject({
      iss: provider.issuer,
      aud: CLIENT_ID,
      sub: ADA.sub,
      email: ADA.email,
      email_verified: true,
      name: ADA.name,
      nonce: login.nonce,
    });
    expect(kidOf(tokens.id_token as string)).toBe(provider.kid);
  });

  it('accepts client_secret_post, and users added after the start', async () => {
    provider.addUser({ sub: 'bob-0002', email: 'bob@example.test', emailVerified: false });
    const config = await discover(provider, client.ClientSecretPost(CLIENT_SECRET));
    const tokens = await signIn(provider, config, 'bob-0002');
    const claims = tokens.claims();
    expect(claims).toMatchObject({
      sub: 'bob-0002',
      email: 'bob@example.test',
      email_verified: false,
    });
    expect(claims).not.toHaveProperty('name');
  });

  it('refuses the code exchange with a wrong code_verifier', async () => {
    const config = await discover(provider);
    const login = await startLogin(config);
    const { redirect } = await provider.authorize(login.url.href, { sub: ADA.sub });
    await expect(
      client.authorizationCodeGrant(config, redirect, {
        pkceCodeVerifier: client.randomPKCECodeVerifier(),
        expectedState: login.state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      }),
    ).rejects.toMatchObject({ name: 'ResponseBodyError', error: 'invalid_grant', status: 400 });
  });

  it('redirects access_denied when the user refuses consent', async () => {
    const config = await discover(provider);
    const login = await startLogin(config);
    const redirect = await provider.authorizeRedirect(login.url.href, {
      sub: ADA.sub,
      consent: false,
    });
    expect(redirect.searchParams.get('error')).toBe('access_denied');
    expect(redirect.searchParams.get('state')).toBe(login.state);
    await expect(
      provider.authorize(login.url.href, { sub: ADA.sub, consent: false }),
    ).rejects.toThrow(/access_denied/);
  });

  describe('key rotation', () => {
    it('by default openid-client does not check the ID token signature at all', async () => {
      const config = await discover(provider);
      const before = provider.jwksRequests;
      await signIn(provider, config);
      const pending = await startLogin(config);
      const { redirect } = await provider.authorize(pending.url.href, { sub: ADA.sub });
      const oldKid = provider.kid;
      await provider.rotateKeys();
      expect(provider.kid).not.toBe(oldKid);

      // A code issued before the rotation is still exchanged after it.
      const late = await client.authorizationCodeGrant(config, redirect, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      expect(kidOf(late.id_token as string)).toBe(provider.kid);

      const tokens = await signIn(provider, config);
      expect(kidOf(tokens.id_token as string)).toBe(provider.kid);
      // The ID token came from the token endpoint: without non-repudiation checks the JWKS
      // is never fetched, before or after the rotation.
      expect(provider.jwksRequests).toBe(before);
    });

    it('with non-repudiation checks: an unknown kid fails within 60 s of the JWKS fetch, then is re-fetched', async () => {
      const config = await discover(provider);
      client.enableNonRepudiationChecks(config);
      const before = provider.jwksRequests;
      await signIn(provider, config);
      expect(provider.jwksRequests).toBe(before + 1);

      await provider.rotateKeys();
      expect((await discover(provider)).serverMetadata()).toEqual(config.serverMetadata());

      // openid-client (oauth4webapi) re-fetches the JWKS for an unknown kid only once its
      // cached copy is 60 s old.
      await expect(signIn(provider, config)).rejects.toMatchObject({
        name: 'ClientError',
        code: 'OAUTH_KEY_SELECTION_FAILED',
        message: 'error when selecting a JWT verification key, no applicable keys found',
      });
      expect(provider.jwksRequests).toBe(before + 1);

      const now = Date.now.bind(Date);
      jest.spyOn(Date, 'now').mockImplementation(() => now() + 61_000);
      const tokens = await signIn(provider, config);
      expect(provider.jwksRequests).toBe(before + 2);
      expect(kidOf(tokens.id_token as string)).toBe(provider.kid);
      expect(tokens.claims()).toMatchObject({ sub: ADA.sub, iss: provider.issuer, aud: CLIENT_ID });
    });
  });
});

describe('TestOidcProvider with ES256 keys', () => {
  it('signs ID tokens with ES256', async () => {
    const provider = await TestOidcProvider.start({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [REDIRECT_URI],
      users: [ADA],
      signingAlg: 'ES256',
    });
    try {
      const config = await discover(provider);
      client.enableNonRepudiationChecks(config);
      const tokens = await signIn(provider, config);
      const header = JSON.parse(
        Buffer.from((tokens.id_token as string).split('.')[0], 'base64url').toString('utf8'),
      ) as { alg: string };
      expect(header.alg).toBe('ES256');
      expect(tokens.claims()).toMatchObject({ sub: ADA.sub, email: ADA.email });
    } finally {
      await provider.stop();
    }
  });
});
