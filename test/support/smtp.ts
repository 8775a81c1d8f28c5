import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { eventually } from './eventually.js';

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  messageId: string;
}

/** A real SMTP server on loopback that keeps what it receives, for mail tests. */
export class TestSmtpServer {
  readonly mails: ReceivedMail[] = [];
  /** Mails refused so far (see refuseNext). */
  refused = 0;
  private toRefuse = 0;
  private readonly server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData: (stream, session, callback) => {
      simpleParser(stream)
        .then((parsed) => {
          if (this.toRefuse > 0) {
            this.toRefuse--;
            this.refused++;
            callback(Object.assign(new Error('Try again later'), { responseCode: 451 }) as Error);
            return;
          }
          this.mails.push({
            to: session.envelope.rcptTo.map((rcpt) => rcpt.address).join(','),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            messageId: parsed.messageId ?? '',
          });
          callback();
        })
        .catch(callback);
    },
  });
  port = 0;

  /** The next `count` mails get a temporary failure (451) at the end of DATA. */
  refuseNext(count: number): void {
    this.toRefuse = count;
  }

  /** The mails received for `to`. */
  mailsTo(to: string): ReceivedMail[] {
    return this.mails.filter((item) => item.to === to);
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** The app's configuration for sending through this server. */
  get env(): { SMTP_URL: string; MAIL_FROM: string } {
    return { SMTP_URL: this.url, MAIL_FROM: 'InsightSheet <no-reply@insightsheet.test>' };
  }

  /** On a port of its own, or on `port` (a server started again where it was). */
  async start(port = 0): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  waitFor(to: string, timeoutMs = 5000): Promise<ReceivedMail> {
    return eventually(
      `a mail to ${to}`,
      () => [...this.mails].reverse().find((item) => item.to === to),
      { timeoutMs, intervalMs: 20 },
    );
  }

  /** The newest mail to `to` whose subject matches, once one has arrived. */
  waitForSubject(to: string, subject: RegExp, timeoutMs = 5000): Promise<ReceivedMail> {
    return eventually(
      `a mail to ${to} about ${subject}`,
      () => [...this.mails].reverse().find((item) => item.to === to && subject.test(item.subject)),
      { timeoutMs, intervalMs: 20 },
    );
  }
}

export function resetTokenFrom(mail: ReceivedMail): string {
  const match = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(mail.text);
  if (!match) throw new Error(`no reset link in: ${mail.text}`);
  return match[1];
}

/** The 6-digit code of a verification or email-change mail. */
export function codeFrom(mail: ReceivedMail): string {
  const match = /\?code=([0-9]{6})\b/.exec(mail.text);
  if (!match) throw new Error(`no code link in: ${mail.text}`);
  return match[1];
}
