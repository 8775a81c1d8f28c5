import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** user_devices: the kinds of device each account has signed in from, and when last. */
@Injectable()
export class UserDevicesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Records a sign-in from `device` at `now` and answers when it was last seen before (null:
   * never), whether the account had any device on record, in one statement.
   */
  async seen(
    userId: string,
    device: string,
    now: Date,
  ): Promise<{ lastSeenAt: Date | null; knewAny: boolean }> {
    const [row] = await this.dataSource.query<{ previous: Date | null; known: boolean }[]>(
      `WITH before AS (
         SELECT (SELECT last_seen_at FROM user_devices WHERE user_id = $1 AND device = $2) AS previous,
                EXISTS (SELECT 1 FROM user_devices WHERE user_id = $1) AS known
       ), upsert AS (
         INSERT INTO user_devices (user_id, device, first_seen_at, last_seen_at)
         VALUES ($1, $2, $3, $3)
         ON CONFLICT (user_id, device) DO UPDATE SET last_seen_at = GREATEST(user_devices.last_seen_at, EXCLUDED.last_seen_at)
       )
       SELECT previous, known FROM before`,
      [userId, device, now],
    );
    return { lastSeenAt: row.previous, knewAny: row.known };
  }
}
