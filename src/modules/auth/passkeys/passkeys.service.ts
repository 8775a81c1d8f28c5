import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainEvents, type RequestMeta } from '../../../common/events/domain-events.js';
import { EventPublisher } from '../../../common/events/event-publisher.service.js';
import { UsersService } from '../../users/users.service.js';
import { AuthMail } from '../auth-mail.js';
import { SessionsRepository } from '../sessions.repository.js';
import { SignInMethods } from '../sign-in-methods.service.js';
import { TokenRevocation } from '../token-revocation.service.js';
import type { PasskeyDto } from './dto/passkey.dto.js';
import { PasskeysRepository } from './passkeys.repository.js';

/** The same answer for an unknown id and another user's passkey. */
const NOT_FOUND = 'Passkey not found';

/** The passkeys page: the caller's passkeys, renaming one, removing one. */
@Injectable()
export class PasskeysService {
  constructor(
    private readonly passkeys: PasskeysRepository,
    private readonly signInMethods: SignInMethods,
    private readonly sessions: SessionsRepository,
    private readonly revocation: TokenRevocation,
    private readonly users: UsersService,
    private readonly mail: AuthMail,
    private readonly events: EventPublisher,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  list(userId: string): Promise<PasskeyDto[]> {
    return this.passkeys.listForUser(userId);
  }

  async rename(userId: string, id: string, name: string): Promise<PasskeyDto> {
    const renamed = await this.passkeys.rename(id, userId, name);
    if (!renamed) throw new NotFoundException(NOT_FOUND);
    return renamed;
  }

  /**
   * 404 for a passkey that is not the caller's; 409 when it is the account's last way to sign
   * in (see SignInMethods). The sessions the passkey signed in end with it (on every
   * instance), and the notice is queued in the same transaction as the removal.
   */
  async remove(userId: string, id: string, meta: RequestMeta): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user) throw new NotFoundException(NOT_FOUND);
    await this.dataSource.transaction(async (manager) => {
      const passkey = await this.passkeys.findOwned(id, userId, manager);
      if (!passkey) throw new NotFoundException(NOT_FOUND);
      await this.signInMethods.assertAnotherRemains(userId, manager);
      await this.sessions.revokeStartedWith(id, 'passkey_removed', manager);
      if (!(await this.passkeys.delete(id, userId, manager)))
        throw new NotFoundException(NOT_FOUND);
      await this.mail.passkeyRemoved(user.email, manager);
    });
    await this.revocation.sessionEnded(userId);
    this.mail.wake();
    this.events.publish(DomainEvents.PasskeyRemoved, userId, meta, { passkeyId: id });
  }
}
