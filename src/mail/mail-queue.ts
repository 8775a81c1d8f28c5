import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { JobQueue } from './job-queue.js';
import { MailService, type Mail } from './mail.service.js';

export const MAIL_QUEUE = 'mail.send';

/**
 * `<job id@sender's domain>`: a mail sent again after a crash between the SMTP server's
 * acceptance and the job's completion carries the same Message-ID, so mail systems that
 * de-duplicate by it show it once.
 */
export function messageIdFor(jobId: string, from: string): string {
  const domain = /@([^\s>]+)>?\s*$/.exec(from)?.[1] ?? 'insightsheet.local';
  return `<${jobId}@${domain}>`;
}

/**
 * Outgoing mail, queued in PostgreSQL and sent by the instances' workers through MailService
 * (at least once; see JobQueue). Without SMTP_URL, development workers write mail to the
 * log; production instances do not work the queue, so its mail waits for one that can send.
 */
@Injectable()
export class MailQueue implements OnModuleInit {
  constructor(
    private readonly jobs: JobQueue,
    private readonly mail: MailService,
    private readonly config: AppConfig,
  ) {}

  /** Whether this instance delivers mail (or, in development, logs it). */
  get available(): boolean {
    return this.mail.available;
  }

  onModuleInit(): void {
    if (!this.mail.available) return;
    this.jobs.work<Mail>(MAIL_QUEUE, (mail, job) =>
      this.mail.send({ ...mail, messageId: messageIdFor(job.id, this.config.mail.from) }),
    );
  }

  /**
   * Queues a mail. With the EntityManager of an open transaction it is queued in that
   * transaction, so it is sent if and only if the change that caused it commits; call
   * `wake` after the commit to send it without waiting for the next poll.
   */
  async enqueue(mail: Mail, manager?: EntityManager): Promise<void> {
    await this.jobs.send(MAIL_QUEUE, mail, manager);
    if (!manager) this.wake();
  }

  wake(): void {
    this.jobs.wake(MAIL_QUEUE);
  }
}
