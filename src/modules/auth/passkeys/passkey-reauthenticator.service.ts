import { Injectable } from '@nestjs/common';
import type { Principal } from '../../../common/auth/auth.decorators.js';
import type { RequestMeta } from '../../../common/events/domain-events.js';
import type { ReauthenticateDto } from '../dto/auth.dto.js';
import type { Reauthenticator } from '../reauthentication.service.js';
import { PASSKEY, type Proof } from '../sessions.service.js';
import { PasskeyAssertions } from './passkey-assertions.service.js';

/**
 * Reauthentication with one of the user's passkeys (`webauthn`: an assertion made from the
 * options of POST /auth/passkeys/login/options). Another user's passkey is a 401 that says
 * nothing more.
 */
@Injectable()
export class PasskeyReauthenticator implements Reauthenticator {
  readonly method = 'webauthn';

  constructor(private readonly assertions: PasskeyAssertions) {}

  async verify(principal: Principal, input: ReauthenticateDto, meta: RequestMeta): Promise<Proof> {
    await this.assertions.verify(input.webauthn, principal.id, meta);
    return PASSKEY;
  }
}
