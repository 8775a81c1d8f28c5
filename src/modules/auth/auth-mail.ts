import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';
import { MailQueue } from '../../mail/mail-queue.js';

/** The messages Auth sends, and their wording; each is queued with the change that causes it. */
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

  async passwordReset(to: string, token: string, manager: EntityManager): Promise<void> {
    const link = `${this.config.frontendUrl}/reset-password?token=${token}`;
    const minutes = Math.round(this.config.auth.passwordResetTtlSeconds / 60);
    await this.queue.enqueue(
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
}
