import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Principal } from '../../../common/auth/auth.decorators.js';
import { DomainEvents, type RequestMeta } from '../../../common/events/domain-events.js';
import { EventPublisher } from '../../../common/events/event-publisher.service.js';
import { UsersService } from '../../users/users.service.js';
import { AuthMail } from '../auth-mail.js';
import { SignInMethods } from '../sign-in-methods.service.js';
import { OidcClients } from './oidc-clients.service.js';
import { OidcFlow, type OidcCallback } from './oidc-flow.service.js';
import type { UserIdentity } from './oidc.entities.js';
import type { IdentityDto } from './oidc.dto.js';
import { OidcRepository } from './oidc.repository.js';
import { identityFields } from './social-sign-in.service.js';

const NOT_FOUND = 'Identity not found';

/** The caller's linked social identities: linking one from a session, listing, unlinking. */
@Injectable()
export class Identities {
  constructor(
    private readonly flow: OidcFlow,
    private readonly clients: OidcClients,
    private readonly identities: OidcRepository,
    private readonly signInMethods: SignInMethods,
    private readonly users: UsersService,
    private readonly mail: AuthMail,
    private readonly events: EventPublisher,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /**
   * Starts a link for the caller. 403 email_not_verified until the account's address is
   * proven: an account registered with someone else's address must not gain a way in that
   * outlives the owner's reset.
   */
  async startLink(userId: string, providerId: string, redirectUri: string): Promise<string> {
    await this.users.assertEmailVerified(userId);
    return this.flow.start(providerId, redirectUri, 'link', userId);
  }

  async list(userId: string): Promise<IdentityDto[]> {
    return (await this.identities.listForUser(userId)).map((identity) => this.toDto(identity));
  }

  /**
   * Finishes a link that this user started (the state is bound to them, so nobody can link
   * their own identity into someone else's account by handing over a code). 409 when the
   * identity belongs to another account; linking one already linked here changes nothing.
   */
  async link(
    principal: Principal,
    providerId: string,
    callback: OidcCallback,
    meta: RequestMeta,
  ): Promise<IdentityDto> {
    await this.users.assertEmailVerified(principal.id);
    const identity = await this.flow.complete(providerId, callback, 'link', principal.id);
    const user = await this.users.findById(principal.id);
    if (!user) throw new NotFoundException('User not found');
    const inserted = await this.dataSource.transaction(async (manager) => {
      const row = await this.identities.insertIdentity(
        { userId: user.id, ...identityFields(identity) },
        manager,
      );
      if (row) await this.mail.identityLinked(user.email, identity.provider, manager);
      return row;
    });
    if (!inserted) {
      const existing = await this.identities.findIdentity(identity.issuer, identity.subject);
      if (existing?.userId !== user.id) {
        throw new ConflictException('This sign-in is linked to another account');
      }
      return this.toDto(existing);
    }
    this.mail.wake();
    this.events.publish(DomainEvents.IdentityLinked, user.id, meta, {
      identityId: inserted.id,
      provider: inserted.provider,
    });
    return this.toDto(inserted);
  }

  /** 404 for an identity that is not the caller's; 409 when it is their last way to sign in. */
  async unlink(userId: string, id: string, meta: RequestMeta): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user) throw new NotFoundException(NOT_FOUND);
    const removed = await this.dataSource.transaction(async (manager) => {
      const identity = await this.identities.findOwned(id, userId, manager);
      if (!identity) throw new NotFoundException(NOT_FOUND);
      await this.signInMethods.assertAnotherRemains(userId, manager);
      if (!(await this.identities.delete(id, userId, manager))) {
        throw new NotFoundException(NOT_FOUND);
      }
      await this.mail.identityUnlinked(user.email, identity.provider, manager);
      return identity;
    });
    this.mail.wake();
    this.events.publish(DomainEvents.IdentityUnlinked, userId, meta, {
      identityId: removed.id,
      provider: removed.provider,
    });
  }

  private toDto(identity: UserIdentity): IdentityDto {
    return {
      id: identity.id,
      provider: identity.provider,
      providerName: this.clients.providerName(identity.provider),
      email: identity.email,
      createdAt: identity.createdAt,
      lastUsedAt: identity.lastUsedAt,
    };
  }
}
