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
  RoleChanged: 'user.role_changed',
  ActiveChanged: 'user.active_changed',
  /** Awaited before a user's rows are deleted, so Billing can cancel at the payment provider. */
  Erasing: 'user.erasing',
  Erased: 'user.erased',
  /** The plan whose features apply changed (Stripe, an admin's grant, or its end). */
  PlanChanged: 'billing.plan_changed',
} as const;

export type DomainEventName = (typeof DomainEvents)[keyof typeof DomainEvents];

/** Where a request came from: the client address (honouring TRUST_PROXY) and user agent. */
export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

export interface DomainEvent extends RequestMeta {
  name: DomainEventName;
  /** Null when no account is known, e.g. a failed login for an unknown email. */
  userId: string | null;
  occurredAt: Date;
  metadata?: Record<string, unknown>;
}
