import { Injectable } from '@nestjs/common';
import { ActivityService, type ExportedActivity } from '../activity/activity.service.js';
import type { UserDto } from '../users/dto/user.dto.js';
import { UsersService } from '../users/users.service.js';
import { PasskeysRepository, type PasskeyView } from './passkeys/passkeys.repository.js';
import { SessionsRepository, type SessionView } from './sessions.repository.js';

export interface AccountExport {
  exportedAt: Date;
  profile: UserDto;
  sessions: SessionView[];
  /** Without their public keys: not secret, but nothing the user can use. */
  passkeys: PasskeyView[];
  activity: ExportedActivity[];
}

/** Everything held about the user, without any secret: each module answers for its tables. */
@Injectable()
export class AccountExportService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsRepository,
    private readonly passkeys: PasskeysRepository,
    private readonly activity: ActivityService,
  ) {}

  async export(userId: string): Promise<AccountExport> {
    const profile = await this.users.profile(userId);
    const [sessions, passkeys, activity] = await Promise.all([
      this.sessions.listForUser(userId),
      this.passkeys.listForUser(userId),
      this.activity.exportFor(userId),
    ]);
    return { exportedAt: new Date(), profile, sessions, passkeys, activity };
  }
}
