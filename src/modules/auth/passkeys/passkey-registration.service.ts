import {
  BadRequestException,
  ConflictException,
  Injectable,
  Logger,
  UnauthorizedException,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  generateRegistrationOptions,
  verifyRegistrationResponse,
  type PublicKeyCredentialCreationOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { DataSource } from 'typeorm';
import type { Principal } from '../../../common/auth/auth.decorators.js';
import { DomainEvents, type RequestMeta } from '../../../common/events/domain-events.js';
import { EventPublisher } from '../../../common/events/event-publisher.service.js';
import { AppConfig } from '../../../config/app-config.js';
import { UsersService } from '../../users/users.service.js';
import { AuthMail } from '../auth-mail.js';
import { deviceKind } from '../device.js';
import type { PasskeyCreatedDto, RegisterPasskeyDto } from './dto/passkey.dto.js';
import { PasskeysRepository } from './passkeys.repository.js';
import { userHandleOf } from './relying-party.js';
import { WebAuthnChallenges } from './webauthn-challenges.service.js';

/** Passkeys an account may hold: more than anyone uses, few enough to list and check. */
export const MAX_PASSKEYS_PER_USER = 20;
const NOT_VERIFIED = 'The new passkey could not be verified';

/** "Passkey (Chrome on Linux)": where it was added, when its owner gave it no name. */
export function defaultPasskeyName(userAgent: string | null): string {
  const device = deviceKind(userAgent);
  return device === 'an unknown device' ? 'Passkey' : `Passkey (${device})`.slice(0, 100);
}

/**
 * Adding a passkey to the signed-in account: creation options (after a recent authentication,
 * see the controller) whose challenge is bound to the user, then the browser's new credential,
 * verified (origin, RP id, challenge, user verification) and stored with a security notice.
 */
@Injectable()
export class PasskeyRegistration {
  private readonly logger = new Logger(PasskeyRegistration.name);

  constructor(
    private readonly challenges: WebAuthnChallenges,
    private readonly passkeys: PasskeysRepository,
    private readonly users: UsersService,
    private readonly mail: AuthMail,
    private readonly events: EventPublisher,
    private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async creationOptions(principal: Principal): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const user = await this.users.findById(principal.id);
    if (!user) throw new UnauthorizedException('This account no longer exists');
    const existing = await this.passkeys.credentialIdsOf(user.id);
    const options = await generateRegistrationOptions({
      rpName: this.config.webauthn.rpName,
      rpID: this.config.webauthn.rpId,
      userName: user.email,
      userDisplayName: user.name,
      userID: userHandleOf(user.id),
      timeout: this.challenges.ttlSeconds * 1000,
      attestationType: 'none',
      excludeCredentials: existing,
      // A passkey signs in on its own: it must be discoverable and verify its user.
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
    await this.challenges.issue(options.challenge, 'registration', user.id);
    return options;
  }

  async register(
    principal: Principal,
    input: RegisterPasskeyDto,
    meta: RequestMeta,
  ): Promise<PasskeyCreatedDto> {
    const challenge = await this.challenges.consume(input.response, 'registration', principal.id);
    let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verification = await verifyRegistrationResponse({
        response: input.response as RegistrationResponseJSON,
        expectedChallenge: challenge,
        expectedOrigin: this.config.webauthn.origins,
        expectedRPID: this.config.webauthn.rpId,
        requireUserVerification: true,
      });
    } catch (error) {
      this.logger.debug({ err: error as Error }, 'Passkey registration refused');
      throw new BadRequestException(NOT_VERIFIED);
    }
    if (!verification.verified) throw new BadRequestException(NOT_VERIFIED);
    const info = verification.registrationInfo;

    const user = await this.users.findById(principal.id);
    if (!user) throw new UnauthorizedException('This account no longer exists');
    const created = await this.dataSource.transaction(async (manager) => {
      // Registrations of one account take turns, so the cap holds under concurrency.
      await this.users.lockSignInState(user.id, manager);
      if ((await this.passkeys.countForUser(user.id, manager)) >= MAX_PASSKEYS_PER_USER)
        throw new ConflictException(
          `An account can hold at most ${MAX_PASSKEYS_PER_USER} passkeys: remove one first`,
        );
      const passkey = await this.passkeys.insert(
        {
          userId: user.id,
          credentialId: info.credential.id,
          publicKey: Buffer.from(info.credential.publicKey),
          counter: info.credential.counter,
          transports: info.credential.transports ?? input.response.response.transports ?? [],
          deviceType: info.credentialDeviceType,
          backedUp: info.credentialBackedUp,
          aaguid: info.aaguid,
          name: input.name ?? defaultPasskeyName(meta.userAgent),
        },
        manager,
      );
      if (!passkey) throw new ConflictException('This passkey is registered already');
      await this.mail.passkeyAdded(user.email, manager);
      return passkey;
    });
    this.mail.wake();
    this.events.publish(DomainEvents.PasskeyAdded, user.id, meta, { passkeyId: created.id });
    return { id: created.id, name: created.name, createdAt: created.createdAt };
  }
}
