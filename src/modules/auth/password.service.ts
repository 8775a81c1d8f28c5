import { BadRequestException, Injectable, OnModuleInit } from '@nestjs/common';
import argon2 from 'argon2';
import { readFile } from 'node:fs/promises';
import { AppConfig } from '../../config/app-config.js';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;
/** The password of the dummy hash: it must open no account, passwordless ones included. */
export const DUMMY_PASSWORD = 'dummy password that matches no account';

/**
 * argon2id hashing with parameters from configuration (at least OWASP's 19 MiB, t=2, p=1),
 * the password policy, and a dummy hash verified when an account does not exist so that
 * unknown emails cost the same time as wrong passwords.
 */
@Injectable()
export class PasswordService implements OnModuleInit {
  private readonly options: argon2.HashOptions;
  private common = new Set<string>();
  private dummyHash = '';

  constructor(config: AppConfig) {
    this.options = { type: argon2.argon2id, ...config.auth.argon2 };
  }

  async onModuleInit(): Promise<void> {
    const list = await readFile(new URL('./data/common-passwords.txt', import.meta.url), 'utf8');
    this.common = new Set(list.split('\n').filter(Boolean));
    this.dummyHash = await this.hash(DUMMY_PASSWORD);
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, this.options);
  }

  /**
   * Whether `password` matches `hash`. Without a hash (no account, or an account without a
   * password) the dummy hash is verified for the time it takes, and the answer is false.
   */
  async verify(hash: string | null | undefined, password: string): Promise<boolean> {
    try {
      const matches = await argon2.verify(hash ?? this.dummyHash, password);
      return Boolean(hash) && matches;
    } catch {
      return false;
    }
  }

  /** True when the hash was made with weaker parameters than configured now. */
  needsRehash(hash: string | null): boolean {
    if (!hash) return false;
    return argon2.needsRehash(hash, this.options);
  }

  /** Throws a 400 naming the rule a new password breaks. Length is checked by the DTOs too. */
  assertAcceptable(password: string, email: string): void {
    if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
      throw new BadRequestException(
        `Password must be between ${PASSWORD_MIN_LENGTH} and ${PASSWORD_MAX_LENGTH} characters`,
      );
    }
    const lowered = password.toLowerCase();
    if (lowered === email || lowered === email.split('@')[0]) {
      throw new BadRequestException('Password must not be your email address');
    }
    if (this.common.has(lowered)) {
      throw new BadRequestException('This password is too common; choose another');
    }
  }
}
