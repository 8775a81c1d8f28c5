import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

@Injectable()
export class UsageRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Consumes one unit in one statement: inserts the period's counter or increments it, but
   * only while it is under the limit (null: no limit). Returns the new count, or undefined
   * when the limit was already reached. Concurrent calls serialise on the row, so exactly
   * `limit` succeed.
   */
  async consume(
    userId: string,
    feature: string,
    periodStart: Date,
    limit: number | null,
  ): Promise<number | undefined> {
    const rows: { used: number }[] = await this.dataSource.query(
      `INSERT INTO usage_counters AS c (user_id, feature, period_start, used)
       SELECT $1, $2, $3, 1 WHERE $4::integer IS NULL OR $4::integer > 0
       ON CONFLICT (user_id, feature, period_start)
       DO UPDATE SET used = c.used + 1, updated_at = now()
        WHERE $4::integer IS NULL OR c.used < $4::integer
       RETURNING used`,
      [userId, feature, periodStart, limit],
    );
    return rows[0]?.used;
  }

  async usedIn(userId: string, periodStart: Date): Promise<Map<string, number>> {
    const rows: { feature: string; used: number }[] = await this.dataSource.query(
      `SELECT feature, used FROM usage_counters WHERE user_id = $1 AND period_start = $2`,
      [userId, periodStart],
    );
    return new Map(rows.map((row) => [row.feature, row.used]));
  }
}
