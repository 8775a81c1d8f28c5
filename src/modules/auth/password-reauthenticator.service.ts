import { Injectable, UnauthorizedException } from '@nestjs/common';
import type { Principal } from '../../common/auth/auth.decorators.js';
import type { RequestMeta } from '../../common/events/domain-events.js';
import type { ReauthenticateDto } from './dto/auth.dto.js';
import { PasswordConfirmation } from './password-confirmation.service.js';
import type { Reauthenticator } from './reauthentication.service.js';
import { PASSWORD_ALONE, type Proof } from './sessions.service.js';

/** Reauthentication with the password: a wrong one counts toward the sign-in lock. */
@Injectable()
export class PasswordReauthenticator implements Reauthenticator {
  readonly method = 'password';

  constructor(private readonly confirmation: PasswordConfirmation) {}

  async verify(principal: Principal, input: ReauthenticateDto, meta: RequestMeta): Promise<Proof> {
    await this.confirmation.confirm(
      principal.id,
      input.password ?? '',
      meta,
      () => new UnauthorizedException('Password is incorrect'),
    );
    return PASSWORD_ALONE;
  }
}
