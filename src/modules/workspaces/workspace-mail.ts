import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';
import { MailQueue } from '../../mail/mail-queue.js';

/**
 * The mail Workspaces sends. Queued in the transaction that makes the invitation, so it is
 * sent if and only if the invitation (and its token) committed; `wake` after the commit.
 */
@Injectable()
export class WorkspaceMail {
  constructor(
    private readonly queue: MailQueue,
    private readonly config: AppConfig,
  ) {}

  wake(): void {
    this.queue.wake();
  }

  /**
   * The link only opens the web app with the token filled in; the app POSTs it once the
   * invitee has signed in with this address, so a mail scanner that opens the link accepts
   * nothing.
   */
  invitation(
    to: string,
    invite: { workspace: string; token: string; days: number },
    manager: EntityManager,
  ): Promise<void> {
    const link = `${this.config.frontendUrl}/invitations/accept?token=${invite.token}`;
    return this.queue.enqueue(
      {
        to,
        subject: `You are invited to join ${invite.workspace} on InsightSheet`,
        text:
          `You are invited to join the workspace "${invite.workspace}" on InsightSheet.\n\n` +
          `To join, sign in (or create an account) with this email address and open this ` +
          `link within ${invite.days} days:\n${link}\n\n` +
          `Or enter this invitation code in the app: ${invite.token}\n\n` +
          `If you do not know this workspace, ignore this message.\n`,
      },
      manager,
    );
  }
}
