import { generateSecret, generateURI, verifySync } from 'otplib';

/** RFC 6238 as authenticator apps implement it: SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** One step either side of now: a code typed as it rolled over, or a phone's clock a little off. */
const TOLERANCE_SECONDS = TOTP_PERIOD_SECONDS;

/** A new 160-bit secret, base32 (what authenticator apps take). */
export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The otpauth:// URL an authenticator app reads from a QR code. */
export function totpUrl(secret: string, account: string, issuer: string): string {
  return generateURI({
    issuer,
    label: account,
    secret,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  });
}

/**
 * The time step (floor(epoch / 30)) at which `code` is valid for `secret`, within one step of
 * `epochSeconds`, and later than `afterStep` (the step of the last accepted code: so a code is
 * accepted once, and none older than it); null otherwise.
 */
export function totpStep(
  secret: string,
  code: string,
  epochSeconds: number,
  afterStep: number | null = null,
  digits: 6 | 8 = TOTP_DIGITS,
): number | null {
  if (!new RegExp(`^[0-9]{${digits}}$`).test(code)) return null;
  // The library throws for a last step outside the window (a clock moved back): no match.
  try {
    const result = verifySync({
      secret,
      token: code,
      epoch: epochSeconds,
      epochTolerance: TOLERANCE_SECONDS,
      period: TOTP_PERIOD_SECONDS,
      digits,
      ...(afterStep === null ? {} : { afterTimeStep: afterStep }),
    });
    return result.valid && 'timeStep' in result ? result.timeStep : null;
  } catch {
    return null;
  }
}
