import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { UserActivity } from './user-activity.entity.js';

export interface ActivityFilter {
  userId?: string;
  action?: string;
  from?: Date;
  to?: Date;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A keyset position: the last row's (created_at, id), opaque to clients. */
function encodeCursor(row: UserActivity): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [
      string,
      string,
    ];
    const date = new Date(createdAt);
    if (Number.isNaN(date.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw new BadRequestException('cursor is not valid');
  }
}

@Injectable()
export class ActivityRepository {
  constructor(
    @InjectRepository(UserActivity) private readonly activities: Repository<UserActivity>,
  ) {}

  /** Everything recorded about a user, newest first (for the self-service export). */
  listAllForUser(userId: string): Promise<UserActivity[]> {
    return this.activities.find({ where: { userId }, order: { createdAt: 'DESC' } });
  }

  /**
   * Newest first, by keyset on (created_at, id): a page never repeats or skips a row that
   * existed when the walk began, however many rows are inserted meanwhile.
   */
  async page(
    filter: ActivityFilter,
    cursor: string | undefined,
    limit: number,
  ): Promise<Page<UserActivity>> {
    const query = this.activities
      .createQueryBuilder('a')
      .orderBy('a.createdAt', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .limit(limit + 1);
    if (filter.userId) query.andWhere('a.userId = :userId', { userId: filter.userId });
    if (filter.action) query.andWhere('a.action = :action', { action: filter.action });
    if (filter.from) query.andWhere('a.createdAt >= :from', { from: filter.from });
    if (filter.to) query.andWhere('a.createdAt < :to', { to: filter.to });
    if (cursor) {
      const position = decodeCursor(cursor);
      query.andWhere('(a.createdAt, a.id) < (:createdAt, :id)', position);
    }
    const rows = await query.getMany();
    const items = rows.slice(0, limit);
    return {
      items,
      nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]) : null,
    };
  }
}
