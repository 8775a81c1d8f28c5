import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { UserActivity } from './user-activity.entity.js';

@Injectable()
export class ActivityRepository {
  constructor(
    @InjectRepository(UserActivity) private readonly activities: Repository<UserActivity>,
  ) {}

  /** Everything recorded about a user, newest first (for the self-service export). */
  listAllForUser(userId: string): Promise<UserActivity[]> {
    return this.activities.find({ where: { userId }, order: { createdAt: 'DESC' } });
  }
}
