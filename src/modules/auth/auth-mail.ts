import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';
import { MailQueue } from '../../mail/mail-queue.js';
import { EMAIL_CODE_TTL_SECONDS } from './email-codes.service.js';

const CODE_MINUTES = Math.round(EMAIL_CODE_TTL_SECONDS / 60);
const IGNORE_OR_SECURE =
  'If it was not you, change your password now and end your other sessions ' +
  '(Settings, Security).\n';

/**
 * The messages Auth sends, and their wording. Each is queued (MailQueue): given the
 * EntityManager of the transaction making the change that causes it, in that transaction, so
 * it is sent if and only if the change commits; `wake` after the commit sends it at once.
 * A mail that cannot be queued fails its caller: nothing a 2xx promised is dropped.
 */
@Injectable()
export class AuthMail {
  constructor(
    private readonly queue: MailQueue,
    private readonly config: AppConfig,
  ) {}

  get available(): boolean {
    return this.queue.available;
  }

  /** Sends what the transactions that queued mail have committed, without waiting for a poll. */
  wake(): void {
    this.queue.wake();
  }

  passwordReset(to: string, token: string, manager: EntityManager): Promise<void> {
    const link = `${this.config.frontendUrl}/reset-password?token=${token}`;
    const minutes = Math.round(this.config.auth.passwordResetTtlSeconds / 60);
    return this.queue.enqueue(
      {
        to,
        subject: 'Reset your InsightSheet password',
        text:
          `Someone asked to reset the password of your InsightSheet account.\n\n` +
          `To choose a new password, open this link within ${minutes} minutes:\n${link}\n\n` +
          `If it was not you, ignore this message: your password stays as it is.\n`,
      },
      manager,
    );
  }

  /**
   * The code that proves the address. The link only opens the web app with the code filled
   * in; the app POSTs it, so a mail scanner that opens the link uses nothing up.
   */
  verificationCode(to: string, code: string, manager?: EntityManager): Promise<void> {
    return this.queue.enqueue(
      {
        to,
        subject: `${code} is your InsightSheet verification code`,
        text:
          `Your InsightSheet verification code is ${code}. It is valid for ${CODE_MINUTES} minutes.\n\n` +
          `Or open this link to enter it:\n${this.config.frontendUrl}/verify-email?code=${code}\n\n` +
          `If you did not create an InsightSheet account, ignore this message.\n`,
      },
      manager,
    );
  }

  emailChangeCode(to: string, code: string, manager?: EntityManager): Promise<void> {
    return this.queue.enqueue(
      {
        to,
        subject: `${code} is your code to confirm your new email address`,
        text:
          `Someone asked to make ${to} the email address of an InsightSheet account. ` +
          `The code is ${code}, valid for ${CODE_MINUTES} minutes.\n\n` +
          `Or open this link to enter it:\n${this.config.frontendUrl}/confirm-email?code=${code}\n\n` +
          `If it was not you, ignore this message: nothing changes without the code.\n`,
      },
      manager,
    );
  }

  /** To the current address, when a change to another one is asked for. */
  emailChangeRequested(to: string, newEmail: string, manager?: EntityManager): Promise<void> {
    return this.queue.enqueue(
      {
        to,
        subject: 'A change of your InsightSheet email address was requested',
        text:
          `Someone signed in to your InsightSheet account asked to change its email address ` +
          `to ${newEmail}. It changes only once a code mailed to that address is entered.\n\n` +
          IGNORE_OR_SECURE,
      },
      manager,
    );
  }

  /** To the old address, once the change is done. */
  emailChanged(to: string, newEmail: string, manager?: EntityManager): Promise<void> {
    return this.queue.enqueue(
      {
        to,
        subject: 'Your InsightSheet email address was changed',
        text:
          `The email address of your InsightSheet account is now ${newEmail}; this address ` +
          `no longer signs in.\n\n` +
          `If it was not you, reply to this message or contact support at once.\n`,
      },
      manager,
    );
  }

  /** A sign-in from a kind of device the account has not used for 90 days. */
  newDeviceSignIn(
    to: string,
    signIn: { device: string; ip: string | null; at: Date },
    manager?: EntityManager,
  ): Promise<void> {
    return this.queue.enqueue(
      {
        to,
        subject: 'New sign-in to your InsightSheet account',
        text:
          `Your InsightSheet account was signed in to from ${signIn.device}` +
          `${signIn.ip ? ` (address ${signIn.ip})` : ''} at ${signIn.at.toISOString()}.\n\n` +
          `If it was you, there is nothing to do. ${IGNORE_OR_SECURE}`,
      },
      manager,
    );
  }

  passwordChanged(to: string, manager?: EntityManager): Promise<void> {
    return this.queue.enqueue(
      {
        to,
        subject: 'Your InsightSheet password was changed',
        text: `The password of your InsightSheet account was changed.\n\n${IGNORE_OR_SECURE}`,
      },
      manager,
    );
  }

  mfaEnabled(to: string, manager?: EntityManager): Promise<void> {
    return this.queue.enqueue(
      {
        to,
        subject: 'Two-step verification is on for your InsightSheet account',
        text:
          `An authenticator app was added to your InsightSheet account: signing in now asks ` +
          `for one of its codes after the password. Keep your recovery codes somewhere safe.\n\n` +
          IGNORE_OR_SECURE,
      },
      manager,
    );
  }

  mfaDisabled(to: string, manager?: EntityManager): Promise<void> {
    return this.queue.enqueue(
      {
        to,
        subject: 'Two-step verification was turned off for your InsightSheet account',
        text:
          `The authenticator app and the recovery codes of your InsightSheet account were ` +
          `removed: signing in no longer asks for a code.\n\n${IGNORE_OR_SECURE}`,
      },
      manager,
    );
  }

  recoveryCodesRegenerated(to: string, manager?: EntityManager): Promise<void> {
    return this.queue.enqueue(
      {
        to,
        subject: 'New recovery codes for your InsightSheet account',
        text:
          `A new set of recovery codes was made for your InsightSheet account; the earlier ` +
          `codes no longer work.\n\n${IGNORE_OR_SECURE}`,
      },
      manager,
    );
  }

  /** The passkey's name is not in the mail: whoever added it chose it. */
  passkeyAdded(to: string, manager?: EntityManager): Promise<void> {
    return this.queue.enqueue(
      {
        to,
        subject: 'A passkey was added to your InsightSheet account',
        text:
          `A passkey was added to your InsightSheet account. It can sign in on its own, ` +
          `without the password.\n\n` +
          `If it was not you, remove it (Settings, Security), change your password and end ` +
          `your other sessions.\n`,
      },
      manager,
    );
  }

  passkeyRemoved(to: string, manager?: EntityManager): Promise<void> {
    return this.queue.enqueue(
      {
        to,
        subject: 'A passkey was removed from your InsightSheet account',
        text:
          `A passkey was removed from your InsightSheet account and no longer signs in.\n\n` +
          IGNORE_OR_SECURE,
      },
      manager,
    );
  }

  /** `provider` is the configured provider's id (google), never text from the provider. */
  identityLinked(to: string, provider: string, manager?: EntityManager): Promise<void> {
    return this.queue.enqueue(
      {
        to,
        subject: 'A sign-in was linked to your InsightSheet account',
        text:
          `Your InsightSheet account can now be signed in to with your ${provider} account.\n\n` +
          `If it was not you, remove it (Settings, Security), change your password and end ` +
          `your other sessions.\n`,
      },
      manager,
    );
  }

  identityUnlinked(to: string, provider: string, manager?: EntityManager): Promise<void> {
    return this.queue.enqueue(
      {
        to,
        subject: 'A sign-in was removed from your InsightSheet account',
        text:
          `Your ${provider} account no longer signs in to your InsightSheet account.\n\n` +
          IGNORE_OR_SECURE,
      },
      manager,
    );
  }
}
