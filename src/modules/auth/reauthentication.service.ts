import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../../common/auth/auth.decorators.js';
import { DomainEvents, type RequestMeta } from '../../common/events/domain-events.js';
import { EventPublisher } from '../../common/events/event-publisher.service.js';
import type { TokenPairDto } from './dto/auth-response.dto.js';
import type { ReauthenticateDto } from './dto/auth.dto.js';
import { SessionsService, type Proof } from './sessions.service.js';

/** The fields of POST /auth/reauthenticate, one per way of proving who one is. */
export type ReauthenticationMethod = 'password' | 'code' | 'webauthn';

const METHODS: readonly ReauthenticationMethod[] = ['password', 'code', 'webauthn'];

/**
 * One way of proving, within a session, that its user is still the one at the keyboard. Each
 * is a provider listed under REAUTHENTICATORS (see auth.module.ts): the password, a TOTP or
 * recovery code, a passkey; a second factor's proof carries `mfa` in its amr.
 */
export interface Reauthenticator {
  readonly method: ReauthenticationMethod;
  /** Resolves when the proof in `input` is the user's; throws otherwise (401, or 429 locked). */
  verify(principal: Principal, input: ReauthenticateDto, meta: RequestMeta): Promise<Proof>;
}

export const REAUTHENTICATORS = Symbol('reauthenticators');

const NOT_AVAILABLE: Record<ReauthenticationMethod, string> = {
  password: 'Reauthentication with the password is not available',
  code: 'Reauthentication with a TOTP or recovery code is not available',
  webauthn: 'Reauthentication with a passkey is not available yet; send the password',
};

/**
 * Step-up: the user proves who they are again (POST /auth/reauthenticate) and their session
 * records it, so that its access tokens pass the sensitive routes for a while
 * (RecentAuthenticationGuard). The session stays the same; only its tokens are new.
 */
@Injectable()
export class ReauthenticationService {
  constructor(
    @Inject(REAUTHENTICATORS) private readonly reauthenticators: readonly Reauthenticator[],
    private readonly sessions: SessionsService,
    private readonly events: EventPublisher,
  ) {}

  async reauthenticate(
    principal: Principal,
    input: ReauthenticateDto,
    meta: RequestMeta,
  ): Promise<TokenPairDto> {
    const given = METHODS.filter((method) => input[method] !== undefined && input[method] !== null);
    if (given.length !== 1) {
      throw new BadRequestException('Send exactly one of password, code or webauthn');
    }
    const [method] = given;
    const reauthenticator = this.reauthenticators.find((each) => each.method === method);
    if (!reauthenticator) throw new BadRequestException(NOT_AVAILABLE[method]);
    const proof = await reauthenticator.verify(principal, input, meta);
    const tokens = await this.sessions.renew(principal, meta, proof);
    this.events.publish(DomainEvents.Reauthenticated, principal.id, meta, { method });
    return tokens;
  }
}
