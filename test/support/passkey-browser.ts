import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium chromium-driver); .ci/run installs it. */
export const CHROMIUM = '/usr/bin/chromium';

export const chromiumInstalled = (): boolean => existsSync(CHROMIUM);

const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS, headless: true });
}

/** What the page's own script answers: the status and JSON body of an API call. */
export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
}

/**
 * The test page: a web app reduced to what passkeys need. Its own script calls the API
 * (cross-origin, as the real front end does) and the browser's WebAuthn API, with the
 * options parsed by PublicKeyCredential.parseCreationOptionsFromJSON /
 * parseRequestOptionsFromJSON and the credential sent as credential.toJSON().
 */
const PAGE = `<!doctype html>
<html>
<head><meta charset="utf-8"><title>InsightSheet passkeys test page</title></head>
<body>
<script>
const API = new URL(location.href).searchParams.get('api');

async function call(method, path, body, token) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = 'Bearer ' + token;
  const response = await fetch(API + '/api/v1' + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function expectOk(answer) {
  if (answer.status !== 200) throw new Error('options answered ' + answer.status + ': ' + JSON.stringify(answer.body));
  return answer.body;
}

window.app = {
  call,
  signIn: (email, password) => call('POST', '/auth/login', { email, password }),
  async createCredential(token) {
    const options = await expectOk(await call('POST', '/auth/passkeys/register/options', undefined, token));
    const credential = await navigator.credentials.create({
      publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options),
    });
    return credential.toJSON();
  },
  async registerPasskey(token, name) {
    const response = await window.app.createCredential(token);
    return call('POST', '/auth/passkeys', name === undefined ? { response } : { response, name }, token);
  },
  async assertion() {
    const options = await expectOk(await call('POST', '/auth/passkeys/login/options'));
    const credential = await navigator.credentials.get({
      publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options),
    });
    return credential.toJSON();
  },
  signInWith: (response) => call('POST', '/auth/passkeys/login', { response }),
  async signInWithPasskey() {
    return window.app.signInWith(await window.app.assertion());
  },
};
</script>
</body>
</html>`;

/** Serves the test page on loopback; browse it as http://localhost:<port> (a secure context). */
export class TestPageServer {
  private readonly server: Server = createServer((request, response) => {
    if (request.url?.startsWith('/?') || request.url === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(PAGE);
      return;
    }
    response.writeHead(404).end();
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get origin(): string {
    return `http://localhost:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * One device: a browser context with the test page open and a CDP virtual authenticator
 * (CTAP2, built in, resident keys, user verification that always succeeds).
 */
export class VirtualDevice {
  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly cdp: CDPSession,
    readonly authenticatorId: string,
  ) {}

  static async open(browser: Browser, pageOrigin: string, apiUrl: string): Promise<VirtualDevice> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${pageOrigin}/?api=${encodeURIComponent(apiUrl)}`);
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return new VirtualDevice(context, page, cdp, authenticatorId);
  }

  /** Runs `app.<name>(...args)` of the page's script and returns its answer. */
  run<T>(name: string, ...args: unknown[]): Promise<T> {
    return this.page.evaluate(
      ([method, parameters]) =>
        (globalThis as unknown as { app: Record<string, (...a: unknown[]) => unknown> }).app[
          method
        ](...parameters),
      [name, args] as [string, unknown[]],
    ) as Promise<T>;
  }

  credentials() {
    return this.cdp
      .send('WebAuthn.getCredentials', { authenticatorId: this.authenticatorId })
      .then((answer) => answer.credentials);
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
