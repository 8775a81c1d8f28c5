import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type EmailCodePurpose = 'verify_email' | 'change_email';

/** A mailed 6-digit code, one live per user and purpose, stored as a keyed hash. */
@Entity({ name: 'email_codes' })
export class EmailCode {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @PrimaryColumn({ type: 'varchar', length: 20 })
  purpose!: EmailCodePurpose;

  /** The address the code was sent to: the one it proves. */
  @Column({ type: 'varchar', length: 254 })
  email!: string;

  @Column({ name: 'code_hash', type: 'bytea' })
  codeHash!: Buffer;

  @Column({ name: 'failed_attempts', type: 'smallint', default: 0 })
  failedAttempts!: number;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
