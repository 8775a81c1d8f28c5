import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ActivityBuffer } from './activity-buffer.service.js';
import { ActivityWriter } from './activity-writer.js';
import { ActivitySeeder } from './activity-seeder.service.js';
import { ActivityPartitionsService } from './activity-partitions.service.js';
import { ActivityController } from './activity.controller.js';
import { ActivityRepository } from './activity.repository.js';
import { ActivityService } from './activity.service.js';
import { AnalyticsRepository } from './analytics.repository.js';
import { AnalyticsService } from './analytics.service.js';
import { UserActivity } from './user-activity.entity.js';

@Module({
  imports: [TypeOrmModule.forFeature([UserActivity])],
  controllers: [ActivityController],
  providers: [
    ActivityRepository,
    ActivityWriter,
    ActivityBuffer,
    ActivityService,
    ActivityPartitionsService,
    AnalyticsRepository,
    AnalyticsService,
    ActivitySeeder,
  ],
  exports: [ActivityService, ActivityBuffer, ActivityPartitionsService, ActivitySeeder],
})
export class ActivityModule {}
