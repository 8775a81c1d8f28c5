import { Injectable } from '@nestjs/common';
import { ActivityService, type ExportedActivity } from '../activity/activity.service.js';
import type { UserDto } from '../users/dto/user.dto.js';
import { UsersService } from '../users/users.service.js';
import type { ExportedMembershipDto } from '../workspaces/dto/workspace.dto.js';
import { WorkspacesService } from '../workspaces/workspaces.service.js';
import { OidcRepository } from './oidc/oidc.repository.js';
import { PasskeysRepository, type PasskeyView } from './passkeys/passkeys.repository.js';
import { SessionsRepository, type SessionView } from './sessions.repository.js';

export interface ExportedIdentity {
  id: string;
  provider: string;
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface AccountExport {
  exportedAt: Date;
  profile: UserDto;
  sessions: SessionView[];
  /** Without their public keys: not secret, but nothing the user can use. */
  passkeys: PasskeyView[];
  /** Linked social sign-ins: provider, issuer, subject and the address it gave. */
  identities: ExportedIdentity[];
  /** The workspaces the user belongs to, with their role. */
  workspaces: ExportedMembershipDto[];
  activity: ExportedActivity[];
}

/** Everything held about the user, without any secret: each module answers for its tables. */
@Injectable()
export class AccountExportService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsRepository,
    private readonly passkeys: PasskeysRepository,
    private readonly identities: OidcRepository,
    private readonly activity: ActivityService,
    private readonly workspaces: WorkspacesService,
  ) {}

  async export(userId: string): Promise<AccountExport> {
    const profile = await this.users.profile(userId);
    const [sessions, passkeys, identities, workspaces, activity] = await Promise.all([
      this.sessions.listForUser(userId),
      this.passkeys.listForUser(userId),
      this.identities.listForUser(userId),
      this.workspaces.exportFor(userId),
      this.activity.exportFor(userId),
    ]);
    return {
      exportedAt: new Date(),
      profile,
      sessions,
      passkeys,
      identities: identities.map(
        ({ id, provider, issuer, subject, email, emailVerified, createdAt, lastUsedAt }) => ({
          id,
          provider,
          issuer,
          subject,
          email,
          emailVerified,
          createdAt,
          lastUsedAt,
        }),
      ),
      workspaces,
      activity,
    };
  }
}
