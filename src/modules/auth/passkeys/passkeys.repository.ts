import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Passkey } from './passkey.entity.js';

/** What the owner sees of a passkey (lists, the account export): never the key itself. */
export interface PasskeyView {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export type NewPasskey = Pick<
  Passkey,
  | 'userId'
  | 'credentialId'
  | 'publicKey'
  | 'counter'
  | 'transports'
  | 'deviceType'
  | 'backedUp'
  | 'aaguid'
  | 'name'
>;

const VIEW = ['passkey.id', 'passkey.name', 'passkey.createdAt', 'passkey.lastUsedAt'];

/** The passkeys table. */
@Injectable()
export class PasskeysRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Null when the credential is registered already (to this account or another). */
  async insert(
    passkey: NewPasskey,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<PasskeyView | null> {
    const rows = await manager.query<
      { id: string; name: string; created_at: Date; last_used_at: Date | null }[]
    >(
      `WITH inserted AS (
         INSERT INTO passkeys
                (user_id, credential_id, public_key, counter, transports, device_type, backed_up,
                 aaguid, name)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (credential_id) DO NOTHING
      RETURNING id, name, created_at, last_used_at
       )
       SELECT * FROM inserted`,
      [
        passkey.userId,
        passkey.credentialId,
        passkey.publicKey,
        passkey.counter,
        passkey.transports,
        passkey.deviceType,
        passkey.backedUp,
        passkey.aaguid,
        passkey.name,
      ],
    );
    const row = rows[0];
    return row
      ? { id: row.id, name: row.name, createdAt: row.created_at, lastUsedAt: row.last_used_at }
      : null;
  }

  findByCredentialId(credentialId: string): Promise<Passkey | null> {
    return this.dataSource.getRepository(Passkey).findOneBy({ credentialId });
  }

  /** The credential ids of the user's passkeys, so a browser does not register one twice. */
  async credentialIdsOf(userId: string): Promise<{ id: string; transports: string[] }[]> {
    const rows = await this.dataSource
      .getRepository(Passkey)
      .find({ select: { credentialId: true, transports: true }, where: { userId } });
    return rows.map((row) => ({ id: row.credentialId, transports: row.transports }));
  }

  /** Oldest first, as they were added. */
  listForUser(userId: string): Promise<PasskeyView[]> {
    return this.dataSource
      .getRepository(Passkey)
      .createQueryBuilder('passkey')
      .select(VIEW)
      .where('passkey.userId = :userId', { userId })
      .orderBy('passkey.createdAt', 'ASC')
      .addOrderBy('passkey.id', 'ASC')
      .getMany();
  }

  findOwned(
    id: string,
    userId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<PasskeyView | null> {
    return manager
      .getRepository(Passkey)
      .createQueryBuilder('passkey')
      .select(VIEW)
      .where('passkey.id = :id AND passkey.userId = :userId', { id, userId })
      .getOne();
  }

  /** Null when the user has no passkey with this id. */
  async rename(id: string, userId: string, name: string): Promise<PasskeyView | null> {
    const rows = await this.dataSource.query<
      { id: string; name: string; created_at: Date; last_used_at: Date | null }[]
    >(
      `WITH renamed AS (
         UPDATE passkeys SET name = $3 WHERE id = $1 AND user_id = $2
      RETURNING id, name, created_at, last_used_at
       )
       SELECT * FROM renamed`,
      [id, userId, name],
    );
    const row = rows[0];
    return row
      ? { id: row.id, name: row.name, createdAt: row.created_at, lastUsedAt: row.last_used_at }
      : null;
  }

  countForUser(userId: string, manager: EntityManager = this.dataSource.manager): Promise<number> {
    return manager.getRepository(Passkey).countBy({ userId });
  }

  /** Every passkey of the user, in the caller's transaction. */
  async deleteAllForUser(userId: string, manager: EntityManager): Promise<void> {
    await manager.getRepository(Passkey).delete({ userId });
  }

  async delete(id: string, userId: string, manager: EntityManager): Promise<boolean> {
    const result = await manager.getRepository(Passkey).delete({ id, userId });
    return (result.affected ?? 0) > 0;
  }

  /**
   * Records an accepted use (the new counter, backup state and time) if the counter still
   * moves forward from the one stored now (the rule of counterAdvances, applied to the row as
   * it is when updated): of two assertions racing with the same counter, one wins. False when
   * the counter does not advance.
   */
  async recordUse(id: string, counter: number, backedUp: boolean, now: Date): Promise<boolean> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `WITH used AS (
         UPDATE passkeys SET counter = $2, backed_up = $3, last_used_at = $4
          WHERE id = $1 AND (counter < $2 OR (counter = 0 AND $2 = 0))
      RETURNING id
       )
       SELECT id FROM used`,
      [id, counter, backedUp, now],
    );
    return rows.length > 0;
  }
}
