import { BadRequestException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { isUuid } from '../../common/text/identifiers.js';
import { ReadRouter } from '../../database/read-router.service.js';
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
    if (Number.isNaN(date.getTime()) || !isUuid(id)) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw new BadRequestException('cursor is not valid');
  }
}

/** The entity's columns under its property names, for reads that bypass the entity manager. */
const COLUMNS = `id, user_id AS "userId", action, resource, resource_id AS "resourceId", metadata, source,
  ip_address AS "ipAddress", user_agent AS "userAgent", created_at AS "createdAt"`;

@Injectable()
export class ActivityRepository {
  constructor(
    @InjectRepository(UserActivity) private readonly activities: Repository<UserActivity>,
    private readonly router: ReadRouter,
  ) {}

  /** Everything recorded about a user, newest first (for the self-service export). */
  listAllForUser(userId: string): Promise<UserActivity[]> {
    return this.activities.find({ where: { userId }, order: { createdAt: 'DESC' } });
  }

  /**
   * Newest first, by keyset on (created_at, id): a page never repeats or skips a row that
   * existed when the walk began, however many rows are inserted meanwhile. Read from a replica
   * when one is usable, except for a reader who wrote recently.
   */
  page(
    filter: ActivityFilter,
    cursor: string | undefined,
    limit: number,
  ): Promise<Page<UserActivity>> {
    const conditions: string[] = [];
    const parameters: unknown[] = [];
    const bind = (value: unknown) => {
      parameters.push(value);
      return `$${parameters.length}`;
    };
    if (filter.userId) conditions.push(`user_id = ${bind(filter.userId)}`);
    if (filter.action) conditions.push(`action = ${bind(filter.action)}`);
    if (filter.from) conditions.push(`created_at >= ${bind(filter.from)}`);
    if (filter.to) conditions.push(`created_at < ${bind(filter.to)}`);
    if (cursor) {
      const position = decodeCursor(cursor);
      conditions.push(`(created_at, id) < (${bind(position.createdAt)}, ${bind(position.id)})`);
    }
    const sql = `SELECT ${COLUMNS} FROM user_activities
      ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''}
      ORDER BY created_at DESC, id DESC LIMIT ${bind(limit + 1)}`;
    return this.router.read(async (query) => {
      const rows = await query<UserActivity>(sql, parameters);
      const items = rows.slice(0, limit);
      return {
        items,
        nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]) : null,
      };
    });
  }
}
