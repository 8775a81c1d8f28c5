import {
  BadRequestException,
  ConflictException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { AccountExistsException } from '../../../common/errors/account-exists.exception.js';
import { DomainEvents, type RequestMeta } from '../../../common/events/domain-events.js';
import { EventPublisher } from '../../../common/events/event-publisher.service.js';
import { PLAIN_EMAIL } from '../../../common/text/identifiers.js';
import { UsersService, type Account } from '../../users/users.service.js';
import { AuthMail } from '../auth-mail.js';
import type { AuthResponseDto, MfaRequiredDto } from '../dto/auth-response.dto.js';
import { MfaSignIn } from '../mfa/mfa-sign-in.service.js';
import { AccountCreation } from '../registration.service.js';
import { FEDERATED, SessionsService } from '../sessions.service.js';
import { OidcFlow, type OidcCallback, type VerifiedIdentity } from './oidc-flow.service.js';
import { OidcRepository } from './oidc.repository.js';

const CANNOT_SIGN_IN = 'This account cannot sign in';

/**
 * Signing in with an OpenID provider. Identities are found by (issuer, subject), never by
 * email. An unknown identity makes an account (its address verified only when the provider
 * says email_verified), unless an account has that address: then it is linked only when both
 * the provider and the account verified the address, and otherwise the answer is 409
 * account_exists (the owner links it from a signed-in session). That refusal is what stops
 * pre-hijacking: an account registered first with someone else's address never receives
 * their social sign-in. Two-step verification, when on, still asks for its second factor.
 */
@Injectable()
export class SocialSignIn {
  constructor(
    private readonly flow: OidcFlow,
    private readonly identities: OidcRepository,
    private readonly accounts: AccountCreation,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly mfa: MfaSignIn,
    private readonly mail: AuthMail,
    private readonly events: EventPublisher,
  ) {}

  async signIn(
    providerId: string,
    callback: OidcCallback,
    meta: RequestMeta,
  ): Promise<AuthResponseDto | MfaRequiredDto> {
    const identity = await this.flow.complete(providerId, callback, 'signin', null);
    const linked = await this.identities.findIdentity(identity.issuer, identity.subject);
    let user: Account | null;
    let created = false;
    if (linked) {
      await this.identities.recordUse(linked.id, identity.email, identity.emailVerified);
      user = await this.users.findById(linked.userId);
    } else {
      ({ user, created } = await this.firstSignIn(identity, meta));
    }
    if (!user?.isActive) throw new UnauthorizedException(CANNOT_SIGN_IN);
    const secondFactors = created ? [] : await this.mfa.methods(user.id);
    if (secondFactors.length > 0) {
      return this.mfa.challenge(user.id, FEDERATED, secondFactors, meta);
    }
    await this.users.recordLogin(user.id);
    this.events.publish(DomainEvents.LoggedIn, user.id, meta, { method: 'oidc' });
    const tokens = await this.sessions.start(user, meta, FEDERATED);
    return { user: await this.users.profile(user.id, created), ...tokens };
  }

  /** A new account for the identity, or an existing one it may safely join; 409 otherwise. */
  private async firstSignIn(
    identity: VerifiedIdentity,
    meta: RequestMeta,
  ): Promise<{ user: Account | null; created: boolean }> {
    if (!identity.email || !PLAIN_EMAIL.test(identity.email)) {
      throw new BadRequestException(
        'The provider did not share a usable email address: allow it at the provider, or sign up with a password',
      );
    }
    const existing = await this.users.findByEmail(identity.email);
    if (existing) {
      if (!(identity.emailVerified && existing.emailVerifiedAt)) throw new AccountExistsException();
      if (!existing.isActive) throw new UnauthorizedException(CANNOT_SIGN_IN);
      await this.link(existing, identity, meta);
      return { user: existing, created: false };
    }
    try {
      const user = await this.accounts.create(
        {
          email: identity.email,
          passwordHash: null,
          name: identity.name || identity.email.split('@')[0].slice(0, 100),
          emailVerified: identity.emailVerified,
        },
        async (manager, created) => {
          const inserted = await this.identities.insertIdentity(
            { userId: created.id, ...identityFields(identity) },
            manager,
          );
          // A parallel first sign-in of the same identity won: this account is not made.
          if (!inserted) throw new IdentityLinkedMeanwhile();
        },
      );
      this.events.publish(DomainEvents.Registered, user.id, meta);
      return { user, created: true };
    } catch (error) {
      // A parallel first sign-in of the same identity made the account: sign in to it.
      if (error instanceof IdentityLinkedMeanwhile || error instanceof ConflictException) {
        const winner = await this.identities.findIdentity(identity.issuer, identity.subject);
        if (winner) return { user: await this.users.findById(winner.userId), created: false };
      }
      // Another account took the address meanwhile.
      if (error instanceof ConflictException) throw new AccountExistsException();
      throw error;
    }
  }

  /** Both sides proved the address: the identity joins the account, and its owner is told. */
  private async link(user: Account, identity: VerifiedIdentity, meta: RequestMeta): Promise<void> {
    const inserted = await this.identities.insertIdentity({
      userId: user.id,
      ...identityFields(identity),
    });
    if (!inserted) {
      // Linked meanwhile by a parallel sign-in: fine if to this account.
      const now = await this.identities.findIdentity(identity.issuer, identity.subject);
      if (now?.userId !== user.id) throw new AccountExistsException();
      return;
    }
    await this.mail.identityLinked(user.email, identity.provider);
    this.mail.wake();
    this.events.publish(DomainEvents.IdentityLinked, user.id, meta, {
      identityId: inserted.id,
      provider: identity.provider,
    });
  }
}

/** The identity was linked by a parallel sign-in while this one made an account for it. */
class IdentityLinkedMeanwhile extends Error {}

export function identityFields(identity: VerifiedIdentity) {
  return {
    provider: identity.provider,
    issuer: identity.issuer,
    subject: identity.subject,
    email: identity.email,
    emailVerified: identity.emailVerified,
  };
}
