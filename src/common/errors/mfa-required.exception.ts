import { ForbiddenException } from '@nestjs/common';

/** 403 {error: "mfa_required"}: the route needs a session that used a second factor. */
export class MfaRequiredException extends ForbiddenException {
  constructor() {
    super({
      error: 'mfa_required',
      message:
        'This route needs a sign-in with a second factor: set up an authenticator (POST /api/v1/auth/mfa/totp/setup) or a passkey, then sign in again or confirm with POST /api/v1/auth/reauthenticate using a code or the passkey',
    });
  }
}
