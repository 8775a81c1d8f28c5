import { createHmac, randomBytes } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * Recovery codes: ten of `xxxxx-xxxxx` (50 random bits each, base32 letters and digits),
 * stored only as HMAC-SHA-256 under a key derived from configuration, so a copy of the table
 * is no list of codes and guessing them offline needs the key too.
 */
export class RecoveryCodeHasher {
  constructor(private readonly key: Buffer) {}

  /** A new set: what the user is shown once, and what is stored. */
  newSet(): { codes: string[]; hashes: Buffer[] } {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => newCode());
    return { codes, hashes: codes.map((code) => this.hash(code.replace('-', ''))) };
  }

  /** The hash of a code as typed: case, spaces and dashes do not matter. Null when malformed. */
  hashTyped(typed: unknown): Buffer | null {
    if (typeof typed !== 'string') return null;
    const code = typed.toLowerCase().replace(/[\s-]/g, '');
    return /^[a-z2-7]{10}$/.test(code) ? this.hash(code) : null;
  }

  private hash(code: string): Buffer {
    return createHmac('sha256', this.key).update(code, 'utf8').digest();
  }
}

function newCode(): string {
  const bytes = randomBytes(10);
  const letters = Array.from(bytes, (byte) => ALPHABET[byte & 31]).join('');
  return `${letters.slice(0, 5)}-${letters.slice(5)}`;
}
