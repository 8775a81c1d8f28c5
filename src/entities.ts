import { UserActivity } from './modules/activity/user-activity.entity.js';
import { EmailCode } from './modules/auth/email-code.entity.js';
import { MfaChallenge, RecoveryCode, UserTotp } from './modules/auth/mfa/mfa.entities.js';
import { OidcState, UserIdentity } from './modules/auth/oidc/oidc.entities.js';
import { Passkey } from './modules/auth/passkeys/passkey.entity.js';
import { WebAuthnChallenge } from './modules/auth/passkeys/webauthn-challenge.entity.js';
import { PasswordResetToken } from './modules/auth/password-reset-token.entity.js';
import { RefreshToken } from './modules/auth/refresh-token.entity.js';
import { Session } from './modules/auth/session.entity.js';
import { Subscription } from './modules/subscriptions/subscription.entity.js';
import { User } from './modules/users/user.entity.js';
import {
  Workspace,
  WorkspaceInvitation,
  WorkspaceMember,
} from './modules/workspaces/workspace.entity.js';

/**
 * Every entity, for the migration CLI (migration:generate compares them with the schema). The
 * app does not read this list: each module registers its own with TypeOrmModule.forFeature,
 * and the database layer loads what was registered. Kept outside src/database, which knows
 * no module.
 */
export const entities = [
  User,
  Subscription,
  UserActivity,
  Session,
  RefreshToken,
  PasswordResetToken,
  EmailCode,
  UserTotp,
  RecoveryCode,
  MfaChallenge,
  UserIdentity,
  OidcState,
  Passkey,
  WebAuthnChallenge,
  Workspace,
  WorkspaceMember,
  WorkspaceInvitation,
];
