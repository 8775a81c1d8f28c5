import { BadRequestException, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import {
  generateAuthenticationOptions,
  verifyAuthenticationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { DomainEvents, type RequestMeta } from '../../../common/events/domain-events.js';
import { EventPublisher } from '../../../common/events/event-publisher.service.js';
import { Clock } from '../../../common/time/clock.js';
import { AppConfig } from '../../../config/app-config.js';
import { PasskeysRepository } from './passkeys.repository.js';
import { userHandleText } from './relying-party.js';
import { counterAdvances } from './signature-counter.js';
import { WebAuthnChallenges } from './webauthn-challenges.service.js';

/** The one answer for an unknown credential, another user's and a refused one. */
export const PASSKEY_NOT_ACCEPTED = 'This passkey was not accepted';
const NOT_VERIFIED = 'The passkey response could not be verified';
const NO_META: RequestMeta = { ip: null, userAgent: null };

export interface VerifiedAssertion {
  userId: string;
  passkeyId: string;
  userVerified: boolean;
}

/** Enough of the assertion's shape to read it; the library checks the rest. */
function isAssertionJson(value: unknown): value is AuthenticationResponseJSON {
  const candidate = value as Partial<AuthenticationResponseJSON> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.id === 'string' &&
    candidate.id.length > 0 &&
    candidate.rawId === candidate.id &&
    typeof candidate.response === 'object' &&
    candidate.response !== null
  );
}

/**
 * Verifies a passkey assertion (navigator.credentials.get) made from the options of
 * POST /auth/passkeys/login/options: for passwordless sign-in, as a second factor after the
 * password, and for step-up. Its challenge is consumed first (so a response is good once),
 * then the credential is looked up, its signature, origin, RP id and user verification are
 * checked, and its signature counter must move forward (see counterAdvances); the new counter
 * and the time of use are stored in one conditional statement.
 *
 * 400: a malformed response, or a challenge that is unknown, used or expired, or an assertion
 * that does not verify (wrong origin or RP id, bad signature, no user verification).
 * 401: an unknown credential, one that is not `expectedUserId`'s, or a counter that did not
 * advance (recorded as PasskeyCounterRegression).
 */
@Injectable()
export class PasskeyAssertions {
  private readonly logger = new Logger(PasskeyAssertions.name);

  constructor(
    private readonly challenges: WebAuthnChallenges,
    private readonly passkeys: PasskeysRepository,
    private readonly events: EventPublisher,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /**
   * Options for navigator.credentials.get() with any discoverable credential of this site (no
   * allowCredentials, so nothing tells who has an account), user verification required. Its
   * challenge is stored, unbound to any user until an assertion names its credential.
   */
  async requestOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const options = await generateAuthenticationOptions({
      rpID: this.config.webauthn.rpId,
      userVerification: 'required',
      timeout: this.challenges.ttlSeconds * 1000,
    });
    await this.challenges.issue(options.challenge, 'authentication', null);
    return options;
  }

  async verify(
    response: unknown,
    expectedUserId?: string,
    meta: RequestMeta = NO_META,
  ): Promise<VerifiedAssertion> {
    const challenge = await this.challenges.consume(response, 'authentication', null);
    if (!isAssertionJson(response)) throw new BadRequestException(NOT_VERIFIED);

    const passkey = await this.passkeys.findByCredentialId(response.id);
    if (!passkey || (expectedUserId !== undefined && passkey.userId !== expectedUserId))
      throw new UnauthorizedException(PASSKEY_NOT_ACCEPTED);
    const userHandle = response.response.userHandle;
    if (userHandle && userHandle !== userHandleText(passkey.userId))
      throw new UnauthorizedException(PASSKEY_NOT_ACCEPTED);

    let verification: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.config.webauthn.origins,
        expectedRPID: this.config.webauthn.rpId,
        // The counter rule is applied below, once the signature is known to be good, so that
        // a refusal for it can be told apart (and recorded) from any other failure.
        credential: {
          id: passkey.credentialId,
          publicKey: new Uint8Array(passkey.publicKey),
          counter: 0,
          transports: passkey.transports,
        },
        requireUserVerification: true,
      });
    } catch (error) {
      this.logger.debug({ err: error as Error }, 'Passkey assertion refused');
      throw new BadRequestException(NOT_VERIFIED);
    }
    if (!verification.verified) throw new BadRequestException(NOT_VERIFIED);

    const { newCounter, credentialBackedUp, userVerified } = verification.authenticationInfo;
    const recorded =
      counterAdvances(passkey.counter, newCounter) &&
      (await this.passkeys.recordUse(passkey.id, newCounter, credentialBackedUp, this.clock.now()));
    if (!recorded) {
      this.events.publish(DomainEvents.PasskeyCounterRegression, passkey.userId, meta, {
        passkeyId: passkey.id,
        storedCounter: passkey.counter,
        receivedCounter: newCounter,
      });
      throw new UnauthorizedException(PASSKEY_NOT_ACCEPTED);
    }
    return { userId: passkey.userId, passkeyId: passkey.id, userVerified };
  }
}
