import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessStateService } from './access-state.service.js';
import { ProfileCache } from './profile-cache.js';
import { AdminUsersController } from './admin-users.controller.js';
import { User } from './user.entity.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([User])],
  controllers: [UsersController, AdminUsersController],
  providers: [UsersRepository, UsersService, AccessStateService, ProfileCache],
  exports: [UsersRepository, UsersService, AccessStateService, ProfileCache],
})
export class UsersModule {}
