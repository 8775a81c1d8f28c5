import { randomBytes } from 'node:crypto';
import { json, type ApiClient } from '../support/test-app.js';

export interface RegisteredUser {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

/**
 * A fresh client address for one request. The test apps trust 127.0.0.1 as a proxy hop
 * (TRUST_PROXY), so each test can act as its own client and per-address limits on sensitive
 * routes (10 registrations an hour) do not leak between tests.
 */
export function clientAddress(): Record<string, string> {
  const [a, b, c] = randomBytes(3);
  return { 'x-forwarded-for': `10.${a}.${b}.${(c % 250) + 1}` };
}

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomBytes(6).toString('hex')}@example.com`;
}

/** A password that passes the policy and is unique per call. */
export function strongPassword(): string {
  return `Sheets-${randomBytes(9).toString('base64url')}!`;
}

export async function registerUser(
  api: ApiClient,
  overrides: {
    email?: string;
    password?: string;
    name?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<RegisteredUser> {
  const email = overrides.email ?? uniqueEmail();
  const password = overrides.password ?? strongPassword();
  const response = await api.fetch(
    '/api/v1/auth/register',
    json(
      { email, password, name: overrides.name ?? 'Test User' },
      { ...clientAddress(), ...overrides.headers },
    ),
  );
  if (response.status !== 201)
    throw new Error(`register answered ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as {
    user: { id: string; email: string };
    accessToken: string;
    refreshToken: string;
  };
  return {
    id: body.user.id,
    email: body.user.email,
    password,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
  };
}

/**
 * Marks the user's address verified, as if they had entered the mailed code: setup for tests
 * of what verification unlocks (checkout, promotion). The code itself is tested through SMTP.
 */
export async function markEmailVerified(api: ApiClient, user: { id: string }): Promise<void> {
  await api.query(`UPDATE users SET email_verified_at = now() WHERE id = $1`, [user.id]);
}

/** A registered user whose address is verified (what checkout and promotion need). */
export async function registerVerifiedUser(
  api: ApiClient,
  overrides: Parameters<typeof registerUser>[1] = {},
): Promise<RegisteredUser> {
  const user = await registerUser(api, overrides);
  await markEmailVerified(api, user);
  return user;
}

export async function login(
  api: ApiClient,
  email: string,
  password: string,
  headers: Record<string, string> = {},
) {
  return api.fetch(
    '/api/v1/auth/login',
    json({ email, password }, { ...clientAddress(), ...headers }),
  );
}

export function bearer(token: string, extra: Record<string, string> = {}): RequestInit {
  return { headers: { authorization: `Bearer ${token}`, ...extra } };
}

/** Makes a user admin directly in the database and returns a fresh login as that admin. */
export async function createAdmin(api: ApiClient): Promise<RegisteredUser> {
  const user = await registerUser(api);
  await api.query(
    `UPDATE users SET role = 'admin', token_version = token_version + 1 WHERE id = $1`,
    [user.id],
  );
  const response = await login(api, user.email, user.password);
  const body = (await response.json()) as { accessToken: string; refreshToken: string };
  return { ...user, accessToken: body.accessToken, refreshToken: body.refreshToken };
}
