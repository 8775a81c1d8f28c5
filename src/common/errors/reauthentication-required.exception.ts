import { ForbiddenException } from '@nestjs/common';

/** 403 {error: "reauthentication_required"}: a sensitive action needs a recent authentication. */
export class ReauthenticationRequiredException extends ForbiddenException {
  constructor(
    message = 'This action needs a recent sign-in: confirm who you are with POST /api/v1/auth/reauthenticate, then retry',
  ) {
    super({ error: 'reauthentication_required', message });
  }
}
