import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module.js';
import { AdminUsersController } from './admin-users.controller.js';
import { ProfileCache } from './profile.cache.js';
import { User } from './user.entity.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([User]), SubscriptionsModule],
  controllers: [UsersController, AdminUsersController],
  providers: [UsersRepository, UsersService, ProfileCache],
  exports: [UsersService],
})
export class UsersModule {}
