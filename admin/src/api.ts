/**
 * The API as the console speaks to it: same origin, JSON, bearer tokens. The token pair lives in
 * this module's memory only (never localStorage or a cookie), so a reload signs the admin out.
 */

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/** The API's error body, with the HTTP status it came with. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly requestId: string | undefined,
  ) {
    super(`${status} ${code}: ${detail}`);
  }

  /** What an admin reads: the API's own words and the request id to quote. */
  get plain(): string {
    return `${this.status} ${this.code}: ${this.detail}${this.requestId ? ` (request ${this.requestId})` : ''}`;
  }
}

let tokens: TokenPair | null = null;
let signedOut: () => void = () => undefined;

export const setTokens = (pair: TokenPair | null): void => {
  tokens = pair;
};
export const hasTokens = (): boolean => tokens !== null;
export const refreshToken = (): string | undefined => tokens?.refreshToken;

/** Called when the session ends under the console (refresh refused): back to sign-in. */
export const onSignedOut = (callback: () => void): void => {
  signedOut = callback;
};

async function errorOf(response: Response): Promise<ApiError> {
  const requestId = response.headers.get('x-request-id') ?? undefined;
  try {
    const body = (await response.json()) as { error?: string; message?: string | string[] };
    const message = Array.isArray(body.message) ? body.message.join('; ') : body.message;
    return new ApiError(
      response.status,
      body.error ?? response.statusText,
      message ?? '',
      requestId,
    );
  } catch {
    return new ApiError(response.status, response.statusText, '', requestId);
  }
}

function send(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (tokens) headers.authorization = `Bearer ${tokens.accessToken}`;
  return fetch(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
    cache: 'no-store',
  });
}

let refreshing: Promise<boolean> | null = null;

/** One refresh at a time, however many calls met an expired access token. */
function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    const current = tokens;
    if (!current) return false;
    const response = await fetch('/api/v1/auth/refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: current.refreshToken }),
      credentials: 'omit',
    });
    if (!response.ok) return false;
    tokens = (await response.json()) as TokenPair;
    return true;
  })().finally(() => (refreshing = null));
  return refreshing;
}

/**
 * Calls the API and returns its JSON (undefined for 204). A 401 with a session in hand is
 * retried once after a refresh; a refused refresh ends the console's session.
 */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response = await send(method, path, body);
  if (response.status === 401 && tokens && !path.startsWith('/auth/')) {
    if (await refresh()) {
      response = await send(method, path, body);
    } else {
      tokens = null;
      signedOut();
    }
  }
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const get = <T>(path: string): Promise<T> => api<T>('GET', path);

/** A query string from the values that are set. */
export function query(values: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}
