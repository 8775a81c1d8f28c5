import type { PlanId } from '../../modules/subscriptions/plan-catalogue.js';
import type { SubscriptionStatus } from '../../modules/subscriptions/subscription-status.js';
import type { WorkspaceRole } from '../../modules/workspaces/workspace-roles.js';
import type { UserRole } from '../auth/auth.decorators.js';

/**
 * Domain events published by Auth, Users and Billing for the Activity module (and others) to
 * record. Publishers never write activity rows themselves.
 */
export const DomainEvents = {
  Registered: 'auth.registered',
  LoggedIn: 'auth.login',
  LoginFailed: 'auth.login_failed',
  LoggedOut: 'auth.logout',
  LoggedOutEverywhere: 'auth.logout_all',
  RefreshTokenReused: 'auth.refresh_token_reused',
  PasswordChanged: 'auth.password_changed',
  PasswordResetRequested: 'auth.password_reset_requested',
  PasswordReset: 'auth.password_reset',
  EmailVerified: 'auth.email_verified',
  EmailChangeRequested: 'user.email_change_requested',
  EmailChanged: 'user.email_changed',
  /** The user ended one of their sessions from the sessions page. */
  SessionEnded: 'auth.session_ended',
  /** The user ended every session but the one they were using. */
  OtherSessionsEnded: 'auth.other_sessions_ended',
  /** The user proved who they are again within a session (step-up). */
  Reauthenticated: 'auth.reauthenticated',
  /** A TOTP authenticator was confirmed: sign-in asks for a second factor from now on. */
  MfaEnabled: 'auth.mfa_enabled',
  MfaDisabled: 'auth.mfa_disabled',
  RecoveryCodesRegenerated: 'auth.recovery_codes_regenerated',
  /** A recovery code was spent (at sign-in or step-up). */
  RecoveryCodeUsed: 'auth.recovery_code_used',
  /** A social identity (OpenID provider account) was linked to the user, or unlinked. */
  IdentityLinked: 'auth.identity_linked',
  IdentityUnlinked: 'auth.identity_unlinked',
  PasskeyAdded: 'auth.passkey_added',
  PasskeyRemoved: 'auth.passkey_removed',
  /**
   * A passkey's signature counter did not move forward: the assertion was refused, as it may
   * come from a copy of the credential.
   */
  PasskeyCounterRegression: 'auth.passkey_counter_regression',
  RoleChanged: 'user.role_changed',
  ActiveChanged: 'user.active_changed',
  /** An administrator ended every session of the user. */
  SessionsEndedByAdmin: 'user.sessions_ended',
  /**
   * Awaited before anything of an erasure is done: a listener refuses it by failing (e.g.
   * Workspaces, while the user is the only owner of a workspace that has other members).
   */
  ErasureRequested: 'user.erasure_requested',
  /** Awaited before a user's rows are deleted, so Billing can cancel at the payment provider. */
  Erasing: 'user.erasing',
  Erased: 'user.erased',
  /** The plan whose features apply changed (Stripe, an admin's grant, or its end). */
  PlanChanged: 'billing.plan_changed',
  /** Awaited after any change to a user's subscription row: copies of it are dropped. */
  SubscriptionChanged: 'subscription.changed',
  WorkspaceCreated: 'workspace.created',
  WorkspaceRenamed: 'workspace.renamed',
  WorkspaceDeleted: 'workspace.deleted',
  WorkspaceMemberAdded: 'workspace.member_added',
  WorkspaceMemberRemoved: 'workspace.member_removed',
  WorkspaceMemberRoleChanged: 'workspace.member_role_changed',
  WorkspaceInvitationSent: 'workspace.invitation_sent',
  WorkspaceInvitationAccepted: 'workspace.invitation_accepted',
  WorkspaceInvitationRevoked: 'workspace.invitation_revoked',
  /**
   * Awaited after a user's membership of a workspace began or ended (or the workspace was
   * deleted: one per member); `userId` is the member. Copies of their effective plan are
   * dropped and the workspace's seats follow.
   */
  WorkspaceMembershipChanged: 'workspace.membership_changed',
  /** Awaited before a workspace is deleted, so Billing can cancel its subscription first. */
  WorkspaceDeleting: 'workspace.deleting',
} as const;

export type DomainEventName = (typeof DomainEvents)[keyof typeof DomainEvents];

/** Where a request came from: the client address (honouring TRUST_PROXY) and user agent. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

/**
 * The request meta of an event about a user that an administrator caused (a grant, a role or
 * active-flag change, ended sessions): the administrator's address and browser are theirs, not
 * the user's, and never go into the user's activity or export. The administrator's id is in
 * the event's metadata (`by`).
 */
export const BY_ADMINISTRATOR: RequestMeta = { ip: null, userAgent: null };

/** Who moved a plan: an administrator's grant, or Stripe's state applied by Billing. */
export type PlanChangeSource =
  | { source: 'manual'; by: string }
  | { source: 'stripe'; stripeSubscriptionId: string | null; status: SubscriptionStatus };

/** The workspace an event is about. */
export interface WorkspaceRef {
  workspaceId: string;
}

/** A workspace's plan names the workspace (the event then has no user). */
export type PlanChangedMetadata = {
  from: PlanId;
  to: PlanId;
  workspaceId?: string;
} & PlanChangeSource;

/**
 * Each event's metadata (undefined: the event carries none). The Activity module stores it
 * as the activity row's metadata, so its shape is what the activity API shows.
 */
export interface DomainEventPayloads {
  [DomainEvents.Registered]: undefined;
  /** A sign-in with the password carries none; other methods name themselves. */
  [DomainEvents.LoggedIn]: { method: 'passkey' | 'oidc' } | undefined;
  [DomainEvents.LoginFailed]: { reason: 'invalid_credentials' | 'invalid_second_factor' };
  [DomainEvents.LoggedOut]: undefined;
  [DomainEvents.LoggedOutEverywhere]: undefined;
  [DomainEvents.RefreshTokenReused]: { sessionId: string };
  [DomainEvents.PasswordChanged]: undefined;
  [DomainEvents.PasswordResetRequested]: undefined;
  [DomainEvents.PasswordReset]: undefined;
  [DomainEvents.EmailVerified]: undefined;
  [DomainEvents.EmailChangeRequested]: undefined;
  [DomainEvents.EmailChanged]: undefined;
  [DomainEvents.SessionEnded]: { sessionId: string };
  [DomainEvents.OtherSessionsEnded]: undefined;
  [DomainEvents.Reauthenticated]: { method: string };
  [DomainEvents.MfaEnabled]: undefined;
  [DomainEvents.MfaDisabled]: undefined;
  [DomainEvents.RecoveryCodesRegenerated]: undefined;
  [DomainEvents.RecoveryCodeUsed]: { remaining: number };
  [DomainEvents.IdentityLinked]: { identityId: string; provider: string };
  [DomainEvents.IdentityUnlinked]: { identityId: string; provider: string };
  [DomainEvents.PasskeyAdded]: { passkeyId: string };
  [DomainEvents.PasskeyRemoved]: { passkeyId: string };
  [DomainEvents.PasskeyCounterRegression]: {
    passkeyId: string;
    storedCounter: number;
    receivedCounter: number;
  };
  [DomainEvents.RoleChanged]: { by: string; from: UserRole; to: UserRole };
  [DomainEvents.ActiveChanged]: { by: string; isActive: boolean };
  [DomainEvents.SessionsEndedByAdmin]: { by: string };
  [DomainEvents.ErasureRequested]: undefined;
  [DomainEvents.Erasing]: undefined;
  [DomainEvents.Erased]: { erasedUserId: string };
  [DomainEvents.PlanChanged]: PlanChangedMetadata;
  [DomainEvents.SubscriptionChanged]: undefined;
  [DomainEvents.WorkspaceCreated]: WorkspaceRef;
  [DomainEvents.WorkspaceRenamed]: WorkspaceRef;
  /** `members`: how many memberships ended with it. */
  [DomainEvents.WorkspaceDeleted]: WorkspaceRef & { members: number };
  [DomainEvents.WorkspaceMemberAdded]: WorkspaceRef & {
    memberId: string;
    role: WorkspaceRole;
    invitationId: string;
  };
  /** `left`: the member removed themselves. */
  [DomainEvents.WorkspaceMemberRemoved]: WorkspaceRef & {
    memberId: string;
    role: WorkspaceRole;
    left: boolean;
  };
  [DomainEvents.WorkspaceMemberRoleChanged]: WorkspaceRef & {
    memberId: string;
    from: WorkspaceRole;
    to: WorkspaceRole;
  };
  /** Never the invitee's address: the event is the inviter's activity. */
  [DomainEvents.WorkspaceInvitationSent]: WorkspaceRef & {
    invitationId: string;
    role: WorkspaceRole;
    resent: boolean;
  };
  [DomainEvents.WorkspaceInvitationAccepted]: WorkspaceRef & { invitationId: string };
  [DomainEvents.WorkspaceInvitationRevoked]: WorkspaceRef & { invitationId: string };
  [DomainEvents.WorkspaceMembershipChanged]: WorkspaceRef;
  [DomainEvents.WorkspaceDeleting]: WorkspaceRef;
}

/**
 * The metadata argument of publishing an event: none, the event's payload, or (for an event
 * whose payload may be undefined) an optional one.
 */
export type DomainEventMetadataArgs<N extends DomainEventName> =
  DomainEventPayloads[N] extends undefined
    ? []
    : undefined extends DomainEventPayloads[N]
      ? [metadata?: DomainEventPayloads[N]]
      : [metadata: DomainEventPayloads[N]];

interface DomainEventBase<N extends DomainEventName> extends RequestMeta {
  name: N;
  /** Null when no account is known, e.g. a failed login for an unknown email. */
  userId: string | null;
  occurredAt: Date;
}

/**
 * An event as its listeners receive it: `DomainEvent<typeof DomainEvents.PlanChanged>` has
 * that event's metadata; `DomainEvent` alone is any event, as a recorder of all of them sees
 * it, with the metadata as stored JSON.
 */
export type DomainEvent<N extends DomainEventName = DomainEventName> = [DomainEventName] extends [N]
  ? DomainEventBase<DomainEventName> & { metadata?: Record<string, unknown> }
  : { [K in N]: DomainEventBase<K> & { metadata: DomainEventPayloads[K] } }[N];
