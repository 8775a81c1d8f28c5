import { generateSync } from 'otplib';
import type { ManualClock } from '../support/manual-clock.js';
import { json, type ApiClient } from '../support/test-app.js';
import { clientAddress, createAdmin, login, type RegisteredUser } from './users.factory.js';

/** An admin with TOTP on, and a session that used it (what REQUIRE_ADMIN_MFA asks for). */
export interface TotpAdmin extends RegisteredUser {
  secret: string;
  /** The authenticator's code at the clock's time, `offsetSteps` steps of 30 s away. */
  codeAt(offsetSteps?: number): string;
}

/**
 * An admin who has enrolled an authenticator app and signed in with it. The codes follow
 * `clock` (the app's own), moved a step on after each use: a TOTP code is accepted once.
 */
export async function createTotpAdmin(api: ApiClient, clock: ManualClock): Promise<TotpAdmin> {
  const admin = await createAdmin(api);
  const post = async (path: string, body: unknown, token?: string) => {
    const response = await api.fetch(
      path,
      json(body, { ...clientAddress(), ...(token ? { authorization: `Bearer ${token}` } : {}) }),
    );
    if (response.status !== 200)
      throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const { secret } = (await post('/api/v1/auth/mfa/totp/setup', {}, admin.accessToken)) as {
    secret: string;
  };
  const codeAt = (offsetSteps = 0) =>
    generateSync({ secret, epoch: Math.floor(clock.nowMs() / 1000) + offsetSteps * 30 });
  await post('/api/v1/auth/mfa/totp/confirm', { code: codeAt() }, admin.accessToken);
  clock.advance(30_000);
  const challenge = await login(api, admin.email, admin.password);
  const { mfaToken } = (await challenge.json()) as { mfaToken: string };
  const tokens = (await post('/api/v1/auth/mfa/verify', { mfaToken, code: codeAt() })) as {
    accessToken: string;
    refreshToken: string;
  };
  clock.advance(30_000);
  return { ...admin, ...tokens, secret, codeAt };
}
