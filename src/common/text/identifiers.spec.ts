import { describe, expect, it } from '@jest/globals';
import { isUuid, normaliseEmail, PLAIN_EMAIL } from './identifiers.js';

describe('identifiers', () => {
  it('takes lower-case UUIDs only, whole', () => {
    expect(isUuid('7f0c6a52-2b8e-4a8e-9d55-0f6f3b1d2c4e')).toBe(true);
    expect(isUuid('7F0C6A52-2B8E-4A8E-9D55-0F6F3B1D2C4E')).toBe(false);
    expect(isUuid('7f0c6a52-2b8e-4a8e-9d55-0f6f3b1d2c4e ')).toBe(false);
    expect(isUuid('------------------------------------')).toBe(false);
    expect(isUuid(42)).toBe(false);
  });

  it('trims and lower-cases emails and leaves anything else for validation', () => {
    expect(normaliseEmail('  Ada@Example.COM ')).toBe('ada@example.com');
    expect(normaliseEmail(undefined)).toBeUndefined();
    expect(normaliseEmail(7)).toBe(7);
  });
});

describe('PLAIN_EMAIL', () => {
  it.each(['ada@example.com', 'a.b+tag@sub.example.co', 'é@example.com'])('accepts %p', (email) => {
    expect(PLAIN_EMAIL.test(email)).toBe(true);
  });

  it.each([
    'z\u2028b@example.com',
    '"z\r\nb"@example.com',
    'z b@example.com',
    'a\u00a0b@example.com',
    'a\u200bb@example.com',
    'Name <a@example.com>',
    'a@b@example.com',
  ])('refuses %p', (email) => {
    expect(PLAIN_EMAIL.test(email)).toBe(false);
  });
});
