import { describe, expect, it } from '@jest/globals';
import { newTotpSecret, totpStep, totpUrl } from './totp.js';

/** RFC 6238, appendix B: the SHA-1 seed "12345678901234567890" (ASCII), in base32. */
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

/** RFC 6238, appendix B: SHA-1 test vectors (time in seconds, 8-digit TOTP). */
const RFC_VECTORS: [number, string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('TOTP (RFC 6238)', () => {
  it.each(RFC_VECTORS)('matches the published vector at T=%d', (time, code) => {
    expect(totpStep(RFC_SECRET, code, time, null, 8)).toBe(Math.floor(time / 30));
  });

  it.each(RFC_VECTORS)('accepts the 6-digit truncation at T=%d', (time, code) => {
    // Dynamic truncation modulo 10^6 is the vector's last six digits.
    expect(totpStep(RFC_SECRET, code.slice(-6), time)).toBe(Math.floor(time / 30));
  });

  it('accepts one step either side, and not two', () => {
    const [time, code] = [1111111111, '050471'];
    expect(totpStep(RFC_SECRET, code, time + 30)).toBe(Math.floor(time / 30));
    expect(totpStep(RFC_SECRET, code, time - 30)).toBe(Math.floor(time / 30));
    expect(totpStep(RFC_SECRET, code, time + 90)).toBeNull();
    expect(totpStep(RFC_SECRET, code, time - 90)).toBeNull();
  });

  it('refuses a code at or before the last accepted step (replay)', () => {
    const [time, code] = [1234567890, '005924'];
    const step = Math.floor(time / 30);
    expect(totpStep(RFC_SECRET, code, time, step - 1)).toBe(step);
    expect(totpStep(RFC_SECRET, code, time, step)).toBeNull();
    expect(totpStep(RFC_SECRET, code, time, step + 1)).toBeNull();
  });

  it('refuses wrong, short, long and non-digit codes', () => {
    expect(totpStep(RFC_SECRET, '005925', 1234567890)).toBeNull();
    expect(totpStep(RFC_SECRET, '05924', 1234567890)).toBeNull();
    expect(totpStep(RFC_SECRET, '0059240', 1234567890)).toBeNull();
    expect(totpStep(RFC_SECRET, '00592a', 1234567890)).toBeNull();
  });

  it('makes 160-bit base32 secrets and an otpauth URL apps read', () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(newTotpSecret()).not.toBe(secret);
    const url = new URL(totpUrl(secret, 'ada@example.com', 'InsightSheet'));
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe('/InsightSheet:ada@example.com');
    expect(url.searchParams.get('secret')).toBe(secret);
    expect(url.searchParams.get('issuer')).toBe('InsightSheet');
  });
});
