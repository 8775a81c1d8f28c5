import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** An OpenID provider's account (issuer and subject, never the email) linked to a user. */
@Entity({ name: 'user_identities' })
export class UserIdentity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  /** The OIDC_PROVIDERS name it came through. */
  @Column({ type: 'varchar', length: 31 })
  provider!: string;

  @Column({ type: 'text' })
  issuer!: string;

  @Column({ type: 'varchar', length: 255 })
  subject!: string;

  /** The address the provider gave at the last sign-in (shown, never used to find accounts). */
  @Column({ type: 'varchar', length: 254, nullable: true })
  email!: string | null;

  @Column({ name: 'email_verified', type: 'boolean', default: false })
  emailVerified!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;
}

/** A started authorization request: its state (hashed), and its nonce and PKCE verifier (sealed). */
@Entity({ name: 'oidc_states' })
export class OidcState {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'state_hash', type: 'bytea', unique: true })
  stateHash!: Buffer;

  @Column({ type: 'varchar', length: 31 })
  provider!: string;

  @Column({ type: 'varchar', length: 10 })
  purpose!: 'signin' | 'link';

  /** For a link: the signed-in user who started it, the only one who may finish it. */
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  @Column({ name: 'redirect_uri', type: 'text' })
  redirectUri!: string;

  @Column({ name: 'sealed_checks', type: 'bytea' })
  sealedChecks!: Buffer;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
