import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { RECOVERY_CODE_COUNT, RecoveryCodeHasher } from './recovery-codes.js';

describe('RecoveryCodeHasher', () => {
  const hasher = new RecoveryCodeHasher(randomBytes(32));

  it('makes ten distinct codes of two groups of five, each stored as its hash only', () => {
    const { codes, hashes } = hasher.newSet();
    expect(codes).toHaveLength(RECOVERY_CODE_COUNT);
    expect(new Set(codes).size).toBe(RECOVERY_CODE_COUNT);
    for (const code of codes) expect(code).toMatch(/^[a-z2-7]{5}-[a-z2-7]{5}$/);
    expect(hashes.map((hash) => hash.toString('hex'))).toEqual(
      codes.map((code) => hasher.hashTyped(code)?.toString('hex')),
    );
    for (const hash of hashes) expect(hash.toString('utf8')).not.toContain(codes[0].slice(0, 5));
  });

  it('reads a code however it is typed', () => {
    const [code] = hasher.newSet().codes;
    const expected = hasher.hashTyped(code);
    expect(hasher.hashTyped(code.toUpperCase())).toEqual(expected);
    expect(hasher.hashTyped(` ${code.replace('-', ' ')} `)).toEqual(expected);
    expect(hasher.hashTyped(code.replace('-', ''))).toEqual(expected);
  });

  it('refuses what cannot be a code, and hashes under its own key', () => {
    expect(hasher.hashTyped('abcde-fghi')).toBeNull();
    expect(hasher.hashTyped('abcde-fghi1')).toBeNull();
    expect(hasher.hashTyped('123456')).toBeNull();
    const [code] = hasher.newSet().codes;
    expect(new RecoveryCodeHasher(randomBytes(32)).hashTyped(code)).not.toEqual(
      hasher.hashTyped(code),
    );
  });
});
