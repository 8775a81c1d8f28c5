import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module.js';
import { InvitationTokens } from './invitation-tokens.js';
import { InvitationsController } from './invitations.controller.js';
import { InvitationsRepository } from './invitations.repository.js';
import { Workspace, WorkspaceInvitation, WorkspaceMember } from './workspace.entity.js';
import { WorkspaceErasure } from './workspace-erasure.service.js';
import { WorkspaceInvitations } from './workspace-invitations.service.js';
import { WorkspaceMail } from './workspace-mail.js';
import { WorkspacesController } from './workspaces.controller.js';
import { WorkspacesRepository } from './workspaces.repository.js';
import { WorkspacesService } from './workspaces.service.js';

/** Workspaces (teams): members with roles, mailed invitations. Exports WorkspacesService. */
@Module({
  imports: [
    TypeOrmModule.forFeature([Workspace, WorkspaceMember, WorkspaceInvitation]),
    UsersModule,
  ],
  controllers: [WorkspacesController, InvitationsController],
  providers: [
    WorkspacesRepository,
    InvitationsRepository,
    WorkspacesService,
    WorkspaceInvitations,
    InvitationTokens,
    WorkspaceMail,
    WorkspaceErasure,
  ],
  exports: [WorkspacesService],
})
export class WorkspacesModule {}
