import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One login: the family of refresh tokens that rotate from it. */
@Entity({ name: 'user_sessions' })
export class Session {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent!: string | null;

  @Column({ name: 'ip_address', type: 'inet', nullable: true })
  ipAddress!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz' })
  lastUsedAt!: Date;

  /** Absolute: rotation never extends a session past it. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  /** When the user last proved who they are in this session: its access tokens' auth_time. */
  @Column({ name: 'authenticated_at', type: 'timestamptz' })
  authenticatedAt!: Date;

  /** Established or reauthenticated with a second factor. */
  @Column({ type: 'boolean', default: false })
  mfa!: boolean;

  /** How the session's user authenticated (RFC 8176 values: pwd, otp, hwk, mfa). */
  @Column({ type: 'text', array: true, default: () => "'{pwd}'" })
  amr!: string[];

  /** The passkey the session was started with, if any: removing it ends the session. */
  @Column({ name: 'passkey_id', type: 'uuid', nullable: true })
  passkeyId!: string | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_reason', type: 'varchar', length: 40, nullable: true })
  revokedReason!: string | null;
}
