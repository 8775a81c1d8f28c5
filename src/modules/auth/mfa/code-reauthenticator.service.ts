import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import type { Principal } from '../../../common/auth/auth.decorators.js';
import type { RequestMeta } from '../../../common/events/domain-events.js';
import { UsersService } from '../../users/users.service.js';
import type { ReauthenticateDto } from '../dto/auth.dto.js';
import type { Reauthenticator } from '../reauthentication.service.js';
import type { Proof } from '../sessions.service.js';
import { TotpFactor } from './totp-factor.service.js';
import { SecondFactors } from './second-factors.service.js';

const TOTP_CODE = /^[0-9]{6}$/;

/**
 * Reauthentication with a second factor's code: six digits are a TOTP code, anything else a
 * recovery code. A wrong one counts toward the sign-in lock; a right one marks the session
 * as multi-factor.
 */
@Injectable()
export class CodeReauthenticator implements Reauthenticator {
  readonly method = 'code';

  constructor(
    private readonly users: UsersService,
    private readonly totp: TotpFactor,
    private readonly secondFactors: SecondFactors,
  ) {}

  async verify(principal: Principal, input: ReauthenticateDto, meta: RequestMeta): Promise<Proof> {
    const user = await this.users.findById(principal.id);
    if (!user) throw new NotFoundException('User not found');
    if (!(await this.totp.isEnabled(user.id))) {
      throw new BadRequestException(
        'Two-step verification is not on for this account: confirm with the password instead',
      );
    }
    const code = input.code ?? '';
    const amr = await this.secondFactors.verify(
      user,
      TOTP_CODE.test(code) ? { code } : { recoveryCode: code },
      meta,
    );
    return { amr };
  }
}
