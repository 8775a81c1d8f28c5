import { generateKeyPair, randomBytes, type JsonWebKey } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import type {
  Adapter,
  AdapterPayload,
  Configuration,
  JWK,
  default as OidcProvider,
} from 'oidc-provider';

export interface TestOidcUser {
  sub: string;
  email: string;
  emailVerified: boolean;
  name?: string;
}

export interface TestOidcProviderOptions {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  users: TestOidcUser[];
  /** The ID token's signing algorithm (RS256 unless told). */
  signingAlg?: 'RS256' | 'ES256';
}

export interface TestOidcLogin {
  /** The user who signs in; must be one of the provider's users. */
  sub: string;
  /** false: the user refuses consent (the redirect then carries error=access_denied). */
  consent?: boolean;
}

export interface TestOidcAuthorization {
  code: string;
  state: string;
  redirect: URL;
}

type ProviderClass = typeof OidcProvider;
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** oidc-provider prints its notices with this prefix; the stand-in keeps them out of test output. */
const NOTICE = /^oidc-provider (NOTICE|WARNING):/;

let providerClass: Promise<ProviderClass> | undefined;

/**
 * oidc-provider 9 warns at import that Node 20 is not a runtime it supports (it asks for 22
 * LTS); it runs here all the same. The import is deferred so that this notice is dropped
 * instead of landing in every suite that imports the stand-in.
 */
function loadProvider(): Promise<ProviderClass> {
  providerClass ??= quietly(async () => (await import('oidc-provider')).default);
  return providerClass;
}

async function quietly<T>(run: () => Promise<T>): Promise<T> {
  /* eslint-disable no-console -- only oidc-provider's own notices are dropped, for the time of `run` */
  const { warn, info } = console;
  const filter =
    (print: (...args: unknown[]) => void) =>
    (...args: unknown[]) => {
      if (typeof args[0] === 'string' && NOTICE.test(args[0])) return;
      print(...args);
    };
  console.warn = filter(warn);
  console.info = filter(info);
  try {
    return await run();
  } finally {
    console.warn = warn;
    console.info = info;
  }
  /* eslint-enable no-console */
}

const generate = promisify(generateKeyPair);

async function signingKey(alg: 'RS256' | 'ES256'): Promise<JWK> {
  const { privateKey } =
    alg === 'RS256'
      ? await generate('rsa', { modulusLength: 2048 })
      : await generate('ec', { namedCurve: 'P-256' });
  const jwk: JsonWebKey = privateKey.export({ format: 'jwk' });
  return {
    ...jwk,
    kid: `${alg.toLowerCase()}-${randomBytes(6).toString('hex')}`,
    alg,
    use: 'sig',
  } as JWK;
}

interface Stored {
  payload: AdapterPayload;
  expiresAt: number | undefined;
}

/**
 * The provider's storage (interactions, sessions, grants, codes, tokens), owned by the
 * stand-in rather than by one Provider instance, so a key rotation, which builds a new
 * Provider, keeps every session and unexchanged code.
 */
class StandInStore {
  private readonly entries = new Map<string, Stored>();
  private readonly grants = new Map<string, Set<string>>();
  private readonly uids = new Map<string, string>();
  private readonly userCodes = new Map<string, string>();

  adapter(model: string): Adapter {
    const key = (id: string) => `${model}:${id}`;
    return {
      upsert: async (id, payload, expiresIn) => {
        this.entries.set(key(id), {
          payload,
          expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined,
        });
        if (model === 'Session' && payload.uid) this.uids.set(payload.uid, id);
        if (payload.userCode) this.userCodes.set(payload.userCode, id);
        if (payload.grantId) {
          const members = this.grants.get(payload.grantId) ?? new Set();
          members.add(key(id));
          this.grants.set(payload.grantId, members);
        }
      },
      find: async (id) => this.read(key(id)),
      findByUid: async (uid) => {
        const id = this.uids.get(uid);
        return id === undefined ? undefined : this.read(key(id));
      },
      findByUserCode: async (userCode) => {
        const id = this.userCodes.get(userCode);
        return id === undefined ? undefined : this.read(key(id));
      },
      consume: async (id) => {
        const stored = this.read(key(id));
        if (stored) stored.consumed = Math.floor(Date.now() / 1000);
      },
      destroy: async (id) => {
        this.entries.delete(key(id));
      },
      revokeByGrantId: async (grantId) => {
        for (const member of this.grants.get(grantId) ?? []) this.entries.delete(member);
        this.grants.delete(grantId);
      },
    };
  }

  private read(key: string): AdapterPayload | undefined {
    const stored = this.entries.get(key);
    if (!stored) return undefined;
    if (stored.expiresAt !== undefined && stored.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return stored.payload;
  }
}

interface Cookie {
  name: string;
  value: string;
  path: string;
}

/** The cookies one sign-in carries between the provider's redirects, as a browser would. */
class CookieJar {
  private readonly cookies = new Map<string, Cookie>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expired = value === '';
      for (const attribute of attributes) {
        const [attrName, attrValue = ''] = attribute.split('=');
        const lower = attrName.toLowerCase();
        if (lower === 'path') path = attrValue;
        if (lower === 'max-age' && Number(attrValue) <= 0) expired = true;
        if (lower === 'expires' && Date.parse(attrValue) <= Date.now()) expired = true;
      }
      const id = `${name};${path}`;
      if (expired) this.cookies.delete(id);
      else this.cookies.set(id, { name, value, path });
    }
  }

  header(url: URL): string {
    return [...this.cookies.values()]
      .filter(
        ({ path }) =>
          url.pathname === path || url.pathname.startsWith(path.endsWith('/') ? path : `${path}/`),
      )
      .map(({ name, value }) => `${name}=${value}`)
      .join('; ');
  }
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify(body));
}

/**
 * A real OpenID Provider (oidc-provider) on http://127.0.0.1:<random port> for the
 * relying-party tests: one confidential client (client_secret_basic or client_secret_post),
 * the authorization code flow with PKCE S256 required, the scopes openid, email and profile
 * with email, email_verified and name carried in the ID token itself.
 *
 * The sign-in screens are replaced by a small interaction API on the same server that
 * `authorize()` drives over HTTP, as a browser would: GET /interaction/:uid tells the prompt
 * (login or consent), POST /interaction/:uid/login signs in `sub=...`, POST
 * /interaction/:uid/confirm grants the requested scopes, POST /interaction/:uid/abort refuses.
 */
export class TestOidcProvider {
  /** The provider's notices and errors (server_error and the like), for a failing test to show. */
  readonly problems: string[] = [];
  /** How many times the JWKS was fetched (a relying party re-fetching it after a rotation shows here). */
  jwksRequests = 0;

  private readonly users = new Map<string, TestOidcUser>();
  private readonly store = new StandInStore();
  private readonly cookieKeys = [randomBytes(32).toString('base64url')];
  private provider!: OidcProvider;
  private handler!: Handler;
  private key!: JWK;

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    private readonly options: TestOidcProviderOptions,
  ) {
    for (const user of options.users) this.addUser(user);
  }

  static async start(options: TestOidcProviderOptions): Promise<TestOidcProvider> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const stand = new TestOidcProvider(server, `http://127.0.0.1:${port}`, options);
    server.on(
      'request',
      (req: IncomingMessage, res: ServerResponse) => void stand.handle(req, res),
    );
    try {
      await stand.install(await signingKey(options.signingAlg ?? 'RS256'));
    } catch (error) {
      server.close();
      throw error;
    }
    return stand;
  }

  /** The kid of the key that signs ID tokens now. */
  get kid(): string {
    return this.key.kid as string;
  }

  addUser(user: TestOidcUser): void {
    this.users.set(user.sub, { ...user });
  }

  /**
   * A new signing key with a new kid; the JWKS then holds only it. oidc-provider cannot swap
   * keys in place, so a new Provider with the same issuer, client, users, cookie keys and
   * storage takes over the same listening socket: discovery is unchanged, sessions and
   * unexchanged codes survive, and the old kid is gone.
   */
  async rotateKeys(): Promise<void> {
    await this.install(await signingKey(this.options.signingAlg ?? 'RS256'));
  }

  /**
   * Drives the sign-in that the authorization URL starts, without a browser: follows the
   * provider's redirects with a fresh cookie jar, signs `login.sub` in and answers the consent
   * prompt, until the provider redirects to the client. Resolves with that redirect whatever
   * it carries (a code, or an error such as access_denied).
   */
  async authorizeRedirect(authorizationUrl: string | URL, login: TestOidcLogin): Promise<URL> {
    if (!this.users.has(login.sub)) throw new Error(`TestOidcProvider: no user ${login.sub}`);
    const jar = new CookieJar();
    const request = async (url: URL, init: RequestInit = {}) => {
      const response = await fetch(url, {
        ...init,
        redirect: 'manual',
        headers: { ...(init.headers as Record<string, string>), cookie: jar.header(url) },
      });
      jar.store(response);
      return response;
    };
    let url = new URL(authorizationUrl);
    if (url.origin !== this.issuer) {
      throw new Error(`TestOidcProvider: ${url.origin} is not this provider (${this.issuer})`);
    }
    for (let step = 0; step < 12; step++) {
      const interaction = /^\/interaction\/([^/]+)$/.exec(url.pathname);
      let response: Response;
      if (interaction) {
        const prompt = await request(url);
        if (prompt.status !== 200) throw await this.failure(url, prompt);
        const { name } = (await prompt.json()) as { name: string };
        const action = name === 'login' ? 'login' : login.consent === false ? 'abort' : 'confirm';
        response = await request(new URL(`${url.pathname}/${action}`, this.issuer), {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ sub: login.sub }),
        });
      } else {
        response = await request(url);
      }
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) {
        throw await this.failure(url, response);
      }
      url = new URL(location, url);
      if (url.origin !== this.issuer) return url;
    }
    throw new Error(`TestOidcProvider: the sign-in did not reach the client (last at ${url.href})`);
  }

  /** As authorizeRedirect, and the redirect must carry a code: it is not exchanged here. */
  async authorize(
    authorizationUrl: string | URL,
    login: TestOidcLogin,
  ): Promise<TestOidcAuthorization> {
    const redirect = await this.authorizeRedirect(authorizationUrl, login);
    const code = redirect.searchParams.get('code');
    if (!code) {
      const error = redirect.searchParams.get('error');
      const description = redirect.searchParams.get('error_description');
      throw new Error(`TestOidcProvider: no code in ${redirect.href} (${error}: ${description})`);
    }
    return { code, state: redirect.searchParams.get('state') ?? '', redirect };
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async install(key: JWK): Promise<void> {
    const Provider = await loadProvider();
    const provider = await quietly(async () => new Provider(this.issuer, this.configuration(key)));
    provider.on('server_error', (_ctx: unknown, error: Error) => {
      this.problems.push(`server_error: ${error.stack ?? error.message}`);
    });
    // Koa would print 500s itself; they are kept in `problems` instead.
    (provider as unknown as { silent: boolean }).silent = true;
    this.provider = provider;
    this.handler = provider.callback() as Handler;
    this.key = key;
  }

  private configuration(key: JWK): Configuration {
    const { clientId, clientSecret, redirectUris, signingAlg = 'RS256' } = this.options;
    return {
      clients: [
        {
          client_id: clientId,
          client_secret: clientSecret,
          redirect_uris: redirectUris,
          grant_types: ['authorization_code'],
          response_types: ['code'],
          // A client registered for client_secret_basic may also use client_secret_post.
          token_endpoint_auth_method: 'client_secret_basic',
          id_token_signed_response_alg: signingAlg,
        },
      ],
      clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
      responseTypes: ['code'],
      pkce: { required: () => true },
      scopes: ['openid', 'email', 'profile'],
      claims: {
        openid: ['sub'],
        email: ['email', 'email_verified'],
        profile: ['name'],
      },
      // The ID token carries the scopes' claims itself, not only the userinfo endpoint.
      conformIdTokenClaims: false,
      findAccount: async (_ctx, sub) => {
        const user = this.users.get(sub);
        if (!user) return undefined;
        return {
          accountId: sub,
          claims: async () => ({
            sub,
            email: user.email,
            email_verified: user.emailVerified,
            ...(user.name === undefined ? {} : { name: user.name }),
          }),
        };
      },
      jwks: { keys: [key] },
      cookies: { keys: this.cookieKeys },
      adapter: (model: string) => this.store.adapter(model),
      features: { devInteractions: { enabled: false } },
      interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
      ttl: {
        AccessToken: 600,
        AuthorizationCode: 300,
        IdToken: 600,
        Interaction: 600,
        Session: 3600,
        Grant: 3600,
      },
      renderError: async (ctx, out) => {
        ctx.type = 'json';
        ctx.body = out;
      },
      clientBasedCORS: () => false,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.issuer);
    if (url.pathname === '/jwks') this.jwksRequests += 1;
    const interaction = /^\/interaction\/[^/]+(?:\/(login|confirm|abort))?$/.exec(url.pathname);
    if (!interaction) {
      this.handler(req, res);
      return;
    }
    try {
      await this.interact(req, res, interaction[1]);
    } catch (error) {
      const { name, message } = error as Error;
      this.problems.push(`interaction: ${name}: ${message}`);
      sendJson(res, 400, { error: name, error_description: message });
    }
  }

  /** The sign-in screens, as an API: see the class comment. */
  private async interact(
    req: IncomingMessage,
    res: ServerResponse,
    action: string | undefined,
  ): Promise<void> {
    const provider = this.provider;
    const details = await provider.interactionDetails(req, res);
    const { prompt, params, session } = details;
    if (action === undefined && req.method === 'GET') {
      sendJson(res, 200, { uid: details.uid, name: prompt.name, details: prompt.details });
      return;
    }
    if (req.method !== 'POST') {
      sendJson(res, 405, { error: 'method_not_allowed' });
      return;
    }
    if (action === 'abort') {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'End-User aborted interaction' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (action === 'login') {
      const sub = (await readForm(req)).get('sub');
      if (prompt.name !== 'login' || !sub || !this.users.has(sub)) {
        sendJson(res, 400, { error: 'invalid_login', prompt: prompt.name, sub });
        return;
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: sub } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    if (prompt.name !== 'consent' || !session) {
      sendJson(res, 400, { error: 'invalid_consent', prompt: prompt.name });
      return;
    }
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id as string });
    if (!grant) throw new Error('grant not found');
    const missing = prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { consent: details.grantId ? {} : { grantId } },
      { mergeWithLastSubmission: true },
    );
  }

  private async failure(url: URL, response: Response): Promise<Error> {
    const body = await response.text();
    const problems = this.problems.length ? ` [${this.problems.join(' | ')}]` : '';
    return new Error(
      `TestOidcProvider: ${url.pathname} answered ${response.status}: ${body.slice(0, 500)}${problems}`,
    );
  }
}
