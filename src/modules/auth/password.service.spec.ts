import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../config/app-config.js';
import { DUMMY_PASSWORD, PasswordService } from './password.service.js';

describe('PasswordService', () => {
  const passwords = new PasswordService(loadConfig({ NODE_ENV: 'test' }));

  it('verifies a password against its own hash only', async () => {
    await passwords.onModuleInit();
    const hash = await passwords.hash('correct horse battery staple');
    expect(await passwords.verify(hash, 'correct horse battery staple')).toBe(true);
    expect(await passwords.verify(hash, 'Correct horse battery staple')).toBe(false);
  });

  it('opens no account without a password, not even with the dummy hash’s password', async () => {
    await passwords.onModuleInit();
    expect(await passwords.verify(null, DUMMY_PASSWORD)).toBe(false);
    expect(await passwords.verify(undefined, DUMMY_PASSWORD)).toBe(false);
  });
});
