import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ActivityRepository } from './activity.repository.js';
import { UserActivity } from './user-activity.entity.js';

@Module({
  imports: [TypeOrmModule.forFeature([UserActivity])],
  providers: [ActivityRepository],
  exports: [ActivityRepository],
})
export class ActivityModule {}
