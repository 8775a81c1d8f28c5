import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type WebAuthnChallengePurpose = 'registration' | 'authentication';

/**
 * A challenge handed to the browser for one ceremony, kept here until it is used (once) or
 * expires. Registration challenges belong to the signed-in user who asked for them.
 */
@Entity({ name: 'webauthn_challenges' })
export class WebAuthnChallenge {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** base64url, as it appears in the clientDataJSON the browser signs. */
  @Column({ type: 'text', unique: true })
  challenge!: string;

  @Column({ type: 'varchar', length: 20 })
  purpose!: WebAuthnChallengePurpose;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
