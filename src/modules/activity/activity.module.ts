import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ActivityBuffer } from './activity-buffer.service.js';
import { ActivityPartitionsService } from './activity-partitions.service.js';
import { ActivityController } from './activity.controller.js';
import { ActivityRepository } from './activity.repository.js';
import { ActivityService } from './activity.service.js';
import { UserActivity } from './user-activity.entity.js';

@Module({
  imports: [TypeOrmModule.forFeature([UserActivity])],
  controllers: [ActivityController],
  providers: [ActivityRepository, ActivityBuffer, ActivityService, ActivityPartitionsService],
  exports: [ActivityRepository, ActivityBuffer, ActivityPartitionsService],
})
export class ActivityModule {}
