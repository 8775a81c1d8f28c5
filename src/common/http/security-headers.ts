import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

const COMMON: HelmetOptions = {
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  referrerPolicy: { policy: 'no-referrer' },
  crossOriginResourcePolicy: { policy: 'same-site' },
  xFrameOptions: { action: 'deny' },
  // Headers that only matter to HTML documents or to old browsers add bytes to every
  // JSON response and protect nothing here.
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
};

/** JSON responses: nothing may load, nothing may frame them. */
const apiHeaders = helmet({
  ...COMMON,
  crossOriginOpenerPolicy: false,
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
    },
  },
});

/** The OpenAPI UI at /docs needs its own scripts and styles. */
const docsHeaders = helmet({
  ...COMMON,
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
});

/**
 * The admin console at /admin: its own built files only. No inline script or style, no other
 * origin; its API calls go to this same origin.
 */
const adminConsoleHeaders = helmet({
  ...COMMON,
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
      frameAncestors: ["'none'"],
    },
  },
});

/** The headers a helmet middleware sets, read once by running it against a recording response. */
function headersOf(middleware: typeof apiHeaders): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string) => (headers[name] = value),
    removeHeader: () => undefined,
  };
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return Object.freeze(headers);
}

const API_HEADERS = headersOf(apiHeaders);
const DOCS_HEADERS = headersOf(docsHeaders);
export const ADMIN_CONSOLE_HEADERS = headersOf(adminConsoleHeaders);

/**
 * The security headers of a response: helmet's, computed once at start-up (helmet's options are
 * static), so a request costs one header merge instead of a chain of middlewares.
 */
export function securityHeaders(isDocs: boolean): Readonly<Record<string, string>> {
  return isDocs ? DOCS_HEADERS : API_HEADERS;
}
