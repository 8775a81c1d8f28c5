import { BadRequestException, Injectable, UnauthorizedException } from '@nestjs/common';
import type { RequestMeta } from '../../../common/events/domain-events.js';
import { LoginThrottleService } from '../login-throttle.service.js';
import { PasskeyAssertions } from '../passkeys/passkey-assertions.service.js';
import { PasskeysRepository } from '../passkeys/passkeys.repository.js';
import type { AuthMethod } from '../sessions.service.js';
import { TotpFactor } from './totp-factor.service.js';

/** The second factors a sign-in can ask for, as the login answer names them. */
export type SecondFactorMethod = 'totp' | 'recovery_code' | 'webauthn';

/** One second factor, as a request carries it: exactly one field is set. */
export interface SecondFactorInput {
  code?: string;
  recoveryCode?: string;
  webauthn?: object;
}

const INVALID_CODE = 'The code is not valid';

/**
 * Checking a second factor, at sign-in (after the password) and at step-up: a TOTP code, a
 * recovery code or a passkey assertion. Every check counts like a sign-in attempt toward the
 * account's and the address's lock (429 once locked), and a success gives its place back.
 */
@Injectable()
export class SecondFactors {
  constructor(
    private readonly totp: TotpFactor,
    private readonly passkeys: PasskeysRepository,
    private readonly passkeyAssertions: PasskeyAssertions,
    private readonly loginThrottle: LoginThrottleService,
  ) {}

  /**
   * What sign-in asks for after the password; empty when two-step verification (TOTP) is off.
   * A passkey is offered beside the codes once the account has one (on its own, a passkey signs
   * in without the password: POST /auth/passkeys/login).
   */
  async methods(userId: string): Promise<SecondFactorMethod[]> {
    if (!(await this.totp.isEnabled(userId))) return [];
    const passkeys = await this.passkeys.countForUser(userId);
    return passkeys > 0 ? ['totp', 'recovery_code', 'webauthn'] : ['totp', 'recovery_code'];
  }

  /**
   * The methods proven (RFC 8176 names, with `mfa`) when `input` is one of the user's second
   * factors; 401 when it is not; 400 for a factor the account does not have.
   */
  async verify(
    user: { id: string; email: string },
    input: SecondFactorInput,
    meta: RequestMeta,
  ): Promise<AuthMethod[]> {
    const ip = meta.ip ?? 'unknown';
    await this.loginThrottle.reserve(user.email, ip);
    const proven = await this.prove(user.id, input, meta);
    if (!proven) throw new UnauthorizedException(INVALID_CODE);
    await this.loginThrottle.succeeded(user.email, ip);
    return [...proven, 'mfa'];
  }

  private async prove(
    userId: string,
    input: SecondFactorInput,
    meta: RequestMeta,
  ): Promise<AuthMethod[] | null> {
    if (typeof input.code === 'string') {
      return (await this.totp.useCode(userId, input.code)) ? ['otp'] : null;
    }
    if (typeof input.recoveryCode === 'string') {
      return (await this.totp.useRecoveryCode(userId, input.recoveryCode, meta)) ? ['otp'] : null;
    }
    if (input.webauthn != null) {
      await this.passkeyAssertions.verify(input.webauthn, userId, meta);
      return ['hwk'];
    }
    throw new BadRequestException('Send a code, a recovery code or a passkey assertion');
  }
}
