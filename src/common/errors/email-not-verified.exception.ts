import { ForbiddenException } from '@nestjs/common';

/** The 403 of an action that needs a proven address (checkout, invitations, promotion). */
export class EmailNotVerifiedException extends ForbiddenException {
  constructor(message = 'Verify your email address first') {
    super({ error: 'email_not_verified', message });
  }
}
