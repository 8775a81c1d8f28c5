import { ConflictException } from '@nestjs/common';

/**
 * 409 {error: "account_exists"}: a social sign-in whose email belongs to an account, where
 * the link cannot be proven safe (one side has not verified the address). The owner signs in
 * and links the provider from the account's settings.
 */
export class AccountExistsException extends ConflictException {
  constructor() {
    super({
      error: 'account_exists',
      message:
        'An account with this email exists: sign in to it, then link this provider from its settings',
    });
  }
}
