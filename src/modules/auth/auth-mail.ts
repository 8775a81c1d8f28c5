import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import { MailService } from '../../mail/mail.service.js';

/** The messages Auth sends, and their wording. */
@Injectable()
export class AuthMail {
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
}
