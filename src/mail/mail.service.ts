import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import { AppConfig } from '../config/app-config.js';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/** A mail as sent: with the Message-ID its queued job gives it, the same on every attempt. */
export interface OutgoingMail extends Mail {
  messageId: string;
}

/**
 * Outgoing mail through nodemailer to SMTP_URL. Without SMTP_URL, development writes the
 * mail to the log instead; production has no mail: that is logged at boot as an error, and
 * callers check `available` and skip the mail (their answers stay the same).
 */
@Injectable()
export class MailService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(MailService.name);
  private readonly transport: Transporter | undefined;

  constructor(private readonly config: AppConfig) {
    if (config.mail.smtpUrl) {
      this.transport = nodemailer.createTransport({
        url: config.mail.smtpUrl,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 20_000,
      });
    }
  }

  onModuleInit(): void {
    if (!this.available) {
      this.logger.error(
        'Mail is not configured: SMTP_URL is not set, so password reset mail is not sent ' +
          '(the route still answers 202) and other queued mail waits for an instance that ' +
          'has SMTP_URL. Set SMTP_URL.',
      );
    }
  }

  /** Whether mail can be delivered (or, in development, logged). */
  get available(): boolean {
    return this.transport !== undefined || !this.config.isProduction;
  }

  async send(mail: OutgoingMail): Promise<void> {
    if (this.transport) {
      await this.transport.sendMail({ from: this.config.mail.from, ...mail });
      return;
    }
    if (this.config.isProduction) throw new Error('Mail is not configured (SMTP_URL)');
    this.logger.log({
      msg: 'Mail (SMTP_URL is not set; development only)',
      mail: { messageId: mail.messageId, to: mail.to, subject: mail.subject, body: mail.text },
    });
  }

  onApplicationShutdown(): void {
    this.transport?.close();
  }
}
