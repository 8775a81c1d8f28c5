import { describe, expect, it } from '@jest/globals';
import { JobDataSeal } from './job-data-seal.js';

describe(JobDataSeal.name, () => {
  const seal = new JobDataSeal('s'.repeat(64));
  const mail = { to: 'ada@example.com', text: 'reset-password?token=secret-token-value' };

  it('opens what it sealed, and the sealed form shows nothing of the data', () => {
    const sealed = seal.seal('mail.send', mail);
    expect(seal.open('mail.send', sealed)).toEqual(mail);
    expect(JSON.stringify(sealed)).not.toContain('ada@example.com');
    expect(JSON.stringify(sealed)).not.toContain('secret-token-value');
  });

  it('seals the same data differently each time', () => {
    expect(seal.seal('mail.send', mail).sealed).not.toBe(seal.seal('mail.send', mail).sealed);
  });

  it('refuses data sealed for another queue, under another secret, or altered', () => {
    const sealed = seal.seal('mail.send', mail);
    expect(() => seal.open('auth.password-reset-request', sealed)).toThrow();
    expect(() => new JobDataSeal('t'.repeat(64)).open('mail.send', sealed)).toThrow();
    const raw = Buffer.from(sealed.sealed, 'base64url');
    raw[raw.length - 1] ^= 1;
    expect(() => seal.open('mail.send', { sealed: raw.toString('base64url') })).toThrow();
  });
});
