import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { returnedRows } from '../../../database/returned-rows.js';
import { UserIdentity } from './oidc.entities.js';

export interface NewOidcState {
  stateHash: Buffer;
  provider: string;
  purpose: 'signin' | 'link';
  userId: string | null;
  redirectUri: string;
  sealedChecks: Buffer;
  expiresAt: Date;
}

export interface ConsumedOidcState extends Omit<NewOidcState, 'stateHash'> {
  id: string;
}

export interface NewIdentity {
  userId: string;
  provider: string;
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
}

interface StateRow {
  id: string;
  provider: string;
  purpose: 'signin' | 'link';
  user_id: string | null;
  redirect_uri: string;
  sealed_checks: Buffer;
  expires_at: Date;
}

/** The social sign-in tables: oidc_states (pending requests) and user_identities. */
@Injectable()
export class OidcRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A new request; requests that expired are dropped by the same statement. */
  async saveState(state: NewOidcState, now: Date): Promise<void> {
    await this.dataSource.query(
      `WITH pruned AS (DELETE FROM oidc_states WHERE expires_at < $8)
       INSERT INTO oidc_states
              (state_hash, provider, purpose, user_id, redirect_uri, sealed_checks, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        state.stateHash,
        state.provider,
        state.purpose,
        state.userId,
        state.redirectUri,
        state.sealedChecks,
        state.expiresAt,
        now,
      ],
    );
  }

  /** The request, removed whatever it is for (a state is good once); null when unknown. */
  async consumeState(stateHash: Buffer): Promise<ConsumedOidcState | null> {
    const rows: StateRow[] | [StateRow[], number] = await this.dataSource.query(
      `DELETE FROM oidc_states WHERE state_hash = $1
       RETURNING id, provider, purpose, user_id, redirect_uri, sealed_checks, expires_at`,
      [stateHash],
    );
    const [row] = returnedRows<StateRow>(rows);
    return row
      ? {
          id: row.id,
          provider: row.provider,
          purpose: row.purpose,
          userId: row.user_id,
          redirectUri: row.redirect_uri,
          sealedChecks: row.sealed_checks,
          expiresAt: row.expires_at,
        }
      : null;
  }

  findIdentity(issuer: string, subject: string): Promise<UserIdentity | null> {
    return this.dataSource.getRepository(UserIdentity).findOneBy({ issuer, subject });
  }

  /** The new identity; null when that issuer and subject are linked already (to anyone). */
  async insertIdentity(
    identity: NewIdentity,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<UserIdentity | null> {
    const rows: IdentityRow[] = await manager.query(
      `INSERT INTO user_identities (user_id, provider, issuer, subject, email, email_verified, last_used_at)
       VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (issuer, subject) DO NOTHING
       RETURNING id, user_id, provider, issuer, subject, email, email_verified, created_at, last_used_at`,
      [
        identity.userId,
        identity.provider,
        identity.issuer,
        identity.subject,
        identity.email,
        identity.emailVerified,
      ],
    );
    return rows[0] ? toIdentity(rows[0]) : null;
  }

  /** A sign-in with the identity: what the provider now says of the address is kept. */
  async recordUse(id: string, email: string | null, emailVerified: boolean): Promise<void> {
    await this.dataSource.query(
      `UPDATE user_identities SET last_used_at = now(), email = $2, email_verified = $3
        WHERE id = $1`,
      [id, email, emailVerified],
    );
  }

  listForUser(userId: string): Promise<UserIdentity[]> {
    return this.dataSource
      .getRepository(UserIdentity)
      .find({ where: { userId }, order: { createdAt: 'ASC' } });
  }

  findOwned(id: string, userId: string, manager: EntityManager): Promise<UserIdentity | null> {
    return manager.getRepository(UserIdentity).findOneBy({ id, userId });
  }

  countForUser(userId: string, manager: EntityManager = this.dataSource.manager): Promise<number> {
    return manager.getRepository(UserIdentity).countBy({ userId });
  }

  /** Every identity of the user, in the caller's transaction. */
  async deleteAllForUser(userId: string, manager: EntityManager): Promise<void> {
    await manager.getRepository(UserIdentity).delete({ userId });
  }

  async delete(id: string, userId: string, manager: EntityManager): Promise<boolean> {
    const result = await manager.getRepository(UserIdentity).delete({ id, userId });
    return (result.affected ?? 0) > 0;
  }
}

interface IdentityRow {
  id: string;
  user_id: string;
  provider: string;
  issuer: string;
  subject: string;
  email: string | null;
  email_verified: boolean;
  created_at: Date;
  last_used_at: Date | null;
}

function toIdentity(row: IdentityRow): UserIdentity {
  return Object.assign(new UserIdentity(), {
    id: row.id,
    userId: row.user_id,
    provider: row.provider,
    issuer: row.issuer,
    subject: row.subject,
    email: row.email,
    emailVerified: row.email_verified,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  });
}
