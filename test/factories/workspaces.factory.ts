import { expect } from '@jest/globals';
import { clientAddress, registerVerifiedUser, type RegisteredUser } from './users.factory.js';
import { eventually } from '../support/eventually.js';
import type { ReceivedMail, TestSmtpServer } from '../support/smtp.js';
import type { ApiClient } from '../support/test-app.js';

const INVITED = /You are invited to join/;

export interface WorkspaceView {
  id: string;
  name: string;
  role: string;
  memberCount: number;
}

export function invitationTokenFrom(mail: ReceivedMail): string {
  const match = /\/invitations\/accept\?token=([A-Za-z0-9_-]+)/.exec(mail.text);
  if (!match) throw new Error(`no invitation link in: ${mail.text}`);
  return match[1];
}

/**
 * Workspaces made through the API as a user would: created, invitations mailed (read from
 * the SMTP stand-in) and accepted.
 */
export class WorkspaceFactory {
  constructor(
    private readonly api: ApiClient,
    private readonly smtp: TestSmtpServer,
  ) {}

  call(method: string, path: string, user: RegisteredUser, body?: object): Promise<Response> {
    return this.api.fetch(path, {
      method,
      headers: {
        authorization: `Bearer ${user.accessToken}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...clientAddress(),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
  }

  async create(owner: RegisteredUser, name = 'Finance team'): Promise<WorkspaceView> {
    const response = await this.call('POST', '/api/v1/workspaces', owner, { name });
    expect(response.status).toBe(201);
    return (await response.json()) as WorkspaceView;
  }

  /** Invites `email` and returns the token from the mail. */
  async invite(
    workspaceId: string,
    by: RegisteredUser,
    email: string,
    role = 'member',
  ): Promise<string> {
    const invitations = () =>
      this.smtp.mailsTo(email.toLowerCase()).filter((mail) => INVITED.test(mail.subject));
    const before = invitations().length;
    const response = await this.call('POST', `/api/v1/workspaces/${workspaceId}/invitations`, by, {
      email,
      role,
    });
    expect(response.status).toBe(201);
    const mails = await eventually('the invitation mail', () =>
      invitations().length > before ? invitations() : undefined,
    );
    return invitationTokenFrom(mails.at(-1)!);
  }

  accept(user: RegisteredUser, token: string): Promise<Response> {
    return this.call('POST', '/api/v1/invitations/accept', user, { token });
  }

  /** A verified user who has joined `workspaceId` with `role` (through an invitation). */
  async member(
    workspaceId: string,
    owner: RegisteredUser,
    role: 'admin' | 'member' | 'owner' = 'member',
  ): Promise<RegisteredUser> {
    const user = await registerVerifiedUser(this.api);
    const token = await this.invite(
      workspaceId,
      owner,
      user.email,
      role === 'owner' ? 'admin' : role,
    );
    expect((await this.accept(user, token)).status).toBe(200);
    if (role === 'owner') {
      const promoted = await this.call(
        'PATCH',
        `/api/v1/workspaces/${workspaceId}/members/${user.id}`,
        owner,
        { role: 'owner' },
      );
      expect(promoted.status).toBe(200);
    }
    return user;
  }
}
