import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';

export interface InboxEntry {
  id: string;
  type: string;
  createdAt: Date;
  userId: string | null;
}

/** The webhook inbox: one row per Stripe event ever applied, written with its effect. */
@Injectable()
export class StripeEventsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async seen(id: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM stripe_events WHERE id = $1`,
      [id],
    );
    return rows.length > 0;
  }

  /** False when the event was recorded before (a redelivery): its effect is already there. */
  async record(
    entry: InboxEntry,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO stripe_events (id, type, created_at, user_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [entry.id, entry.type, entry.createdAt, entry.userId],
    );
    return rows.length > 0;
  }
}
