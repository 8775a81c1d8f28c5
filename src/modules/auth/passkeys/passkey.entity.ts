import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type PasskeyDeviceType = 'singleDevice' | 'multiDevice';

/** A WebAuthn credential registered to an account: a way to sign in on its own. */
@Entity({ name: 'passkeys' })
export class Passkey {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  /** The credential id, base64url as browsers send it; unique across accounts. */
  @Column({ name: 'credential_id', type: 'text', unique: true })
  credentialId!: string;

  /** The COSE-encoded public key from the attestation (not secret, never exported). */
  @Column({ name: 'public_key', type: 'bytea' })
  publicKey!: Buffer;

  /** The authenticator's signature counter at the last accepted use (0: it keeps none). */
  @Column({
    type: 'bigint',
    default: 0,
    transformer: { to: (value: number) => value, from: (value: string) => Number(value) },
  })
  counter!: number;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  transports!: string[];

  @Column({ name: 'device_type', type: 'varchar', length: 20 })
  deviceType!: PasskeyDeviceType;

  @Column({ name: 'backed_up', type: 'boolean', default: false })
  backedUp!: boolean;

  /** The authenticator model, as it declared itself (all zeros when it did not). */
  @Column({ type: 'uuid' })
  aaguid!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;
}
