import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module.js';
import { InvitationTokens } from './invitation-tokens.js';
import { InvitationsController } from './invitations.controller.js';
import { InvitationsRepository } from './invitations.repository.js';
import { Workspace, WorkspaceInvitation, WorkspaceMember } from './workspace.entity.js';
import { WorkspaceErasure } from './workspace-erasure.service.js';
import { WorkspaceInvitations } from './workspace-invitations.service.js';
import { WorkspaceMail } from './workspace-mail.js';
import { AdminWorkspacesController } from './admin-workspaces.controller.js';
import { WorkspacesController } from './workspaces.controller.js';
import { WorkspacesRepository } from './workspaces.repository.js';
import { WorkspacesService } from './workspaces.service.js';
import { WorkspaceMemberships } from '../subscriptions/workspace-memberships.js';
import { WorkspaceMembershipsLookup } from './workspace-memberships.lookup.js';

/**
 * Workspaces (teams): members with roles, mailed invitations. Exports WorkspacesService, and
 * (globally, as the subscriptions module cannot import this one, which needs users and so
 * subscriptions) the memberships a user's effective plan is made of.
 */
@Global()
@Module({
  imports: [
    TypeOrmModule.forFeature([Workspace, WorkspaceMember, WorkspaceInvitation]),
    UsersModule,
  ],
  controllers: [WorkspacesController, InvitationsController, AdminWorkspacesController],
  providers: [
    WorkspacesRepository,
    InvitationsRepository,
    WorkspacesService,
    WorkspaceInvitations,
    InvitationTokens,
    WorkspaceMail,
    WorkspaceErasure,
    WorkspaceMembershipsLookup,
    { provide: WorkspaceMemberships, useExisting: WorkspaceMembershipsLookup },
  ],
  exports: [WorkspacesService, WorkspaceMemberships],
})
export class WorkspacesModule {}
