import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { MailService, type Mail } from '../../mail/mail.service.js';
import { EMAIL_CODE_TTL_SECONDS } from './email-codes.service.js';

const CODE_MINUTES = Math.round(EMAIL_CODE_TTL_SECONDS / 60);
const IGNORE_OR_SECURE =
  'If it was not you, change your password now and end your other sessions ' +
  '(Settings, Security).\n';

/** The messages Auth sends, and their wording. */
@Injectable()
export class AuthMail {
  private readonly logger = new Logger(AuthMail.name);

  constructor(
    private readonly mail: MailService,
    private readonly config: AppConfig,
  ) {}

  get available(): boolean {
    return this.mail.available;
  }

  async passwordReset(to: string, token: string): Promise<void> {
    const link = `${this.config.frontendUrl}/reset-password?token=${token}`;
    const minutes = Math.round(this.config.auth.passwordResetTtlSeconds / 60);
    await this.mail.send({
      to,
      subject: 'Reset your InsightSheet password',
      text:
        `Someone asked to reset the password of your InsightSheet account.\n\n` +
        `To choose a new password, open this link within ${minutes} minutes:\n${link}\n\n` +
        `If it was not you, ignore this message: your password stays as it is.\n`,
    });
  }

  /**
   * The code that proves the address. The link only opens the web app with the code filled
   * in; the app POSTs it, so a mail scanner that opens the link uses nothing up.
   */
  verificationCode(to: string, code: string): Promise<void> {
    return this.send({
      to,
      subject: `${code} is your InsightSheet verification code`,
      text:
        `Your InsightSheet verification code is ${code}. It is valid for ${CODE_MINUTES} minutes.\n\n` +
        `Or open this link to enter it:\n${this.config.frontendUrl}/verify-email?code=${code}\n\n` +
        `If you did not create an InsightSheet account, ignore this message.\n`,
    });
  }

  emailChangeCode(to: string, code: string): Promise<void> {
    return this.send({
      to,
      subject: `${code} is your code to confirm your new email address`,
      text:
        `Someone asked to make ${to} the email address of an InsightSheet account. ` +
        `The code is ${code}, valid for ${CODE_MINUTES} minutes.\n\n` +
        `Or open this link to enter it:\n${this.config.frontendUrl}/confirm-email?code=${code}\n\n` +
        `If it was not you, ignore this message: nothing changes without the code.\n`,
    });
  }

  /** To the current address, when a change to another one is asked for. */
  emailChangeRequested(to: string, newEmail: string): Promise<void> {
    return this.send({
      to,
      subject: 'A change of your InsightSheet email address was requested',
      text:
        `Someone signed in to your InsightSheet account asked to change its email address ` +
        `to ${newEmail}. It changes only once a code mailed to that address is entered.\n\n` +
        IGNORE_OR_SECURE,
    });
  }

  /** To the old address, once the change is done. */
  emailChanged(to: string, newEmail: string): Promise<void> {
    return this.send({
      to,
      subject: 'Your InsightSheet email address was changed',
      text:
        `The email address of your InsightSheet account is now ${newEmail}; this address ` +
        `no longer signs in.\n\n` +
        `If it was not you, reply to this message or contact support at once.\n`,
    });
  }

  /** A sign-in from a kind of device the account has not used for 90 days. */
  newDeviceSignIn(
    to: string,
    signIn: { device: string; ip: string | null; at: Date },
  ): Promise<void> {
    return this.send({
      to,
      subject: 'New sign-in to your InsightSheet account',
      text:
        `Your InsightSheet account was signed in to from ${signIn.device}` +
        `${signIn.ip ? ` (address ${signIn.ip})` : ''} at ${signIn.at.toISOString()}.\n\n` +
        `If it was you, there is nothing to do. ${IGNORE_OR_SECURE}`,
    });
  }

  passwordChanged(to: string): Promise<void> {
    return this.send({
      to,
      subject: 'Your InsightSheet password was changed',
      text: `The password of your InsightSheet account was changed.\n\n${IGNORE_OR_SECURE}`,
    });
  }

  /** Never rejects: a notice that cannot be sent is logged (without its text) and dropped. */
  private async send(mail: Mail): Promise<void> {
    await this.mail
      .send(mail)
      .catch((error: Error) =>
        this.logger.error(
          { err: error, subject: mail.subject.replace(/\d{6}/, '******') },
          'Mail not sent',
        ),
      );
  }
}
