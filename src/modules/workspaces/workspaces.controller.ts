import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser, type Principal } from '../../common/auth/auth.decorators.js';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { ParseIdPipe } from '../../common/http/parse-id.pipe.js';
import { Meta } from '../../common/http/request-meta.js';
import { ApiErrorResponse } from '../../common/openapi/api-error-response.decorator.js';
import { RouteRateLimit } from '../../common/rate-limit/route-rate-limit.js';
import {
  ChangeMemberRoleDto,
  CreateInvitationDto,
  InvitationDto,
  MemberDto,
  WorkspaceDto,
  WorkspaceListDto,
  WorkspaceListQueryDto,
  WorkspaceNameDto,
} from './dto/workspace.dto.js';
import {
  INVITATION_RESEND_INTERVAL_SECONDS,
  INVITATION_TTL_DAYS,
  MAX_OPEN_INVITATIONS,
  WorkspaceInvitations,
} from './workspace-invitations.service.js';
import { WorkspacesService } from './workspaces.service.js';

const HOUR = 3600;
const NOT_A_MEMBER = 'No workspace with this id has the caller as a member';
const LAST_OWNER_409 =
  'The change would leave the workspace without an owner (make another member an owner first)';

@ApiTags('workspaces')
@ApiBearerAuth()
@Controller('workspaces')
export class WorkspacesController {
  constructor(
    private readonly workspaces: WorkspacesService,
    private readonly invitations: WorkspaceInvitations,
  ) {}

  @Post()
  @RouteRateLimit({ name: 'workspace-create', limit: 20, windowSeconds: HOUR, by: 'user' })
  @ApiOperation({ summary: 'Create a workspace; the caller is its owner' })
  @ApiCreatedResponse({ type: WorkspaceDto })
  create(
    @CurrentUser() principal: Principal,
    @Body() body: WorkspaceNameDto,
    @Meta() meta: RequestMeta,
  ): Promise<WorkspaceDto> {
    return this.workspaces.create(principal.id, body.name, meta);
  }

  @Get()
  @ApiOperation({
    summary: "The caller's workspaces, with their role",
    description: 'By name, a page at a time (`page`, `limit` up to 100; 50 by default).',
  })
  @ApiOkResponse({ type: WorkspaceListDto })
  list(
    @CurrentUser() principal: Principal,
    @Query() query: WorkspaceListQueryDto,
  ): Promise<WorkspaceListDto> {
    return this.workspaces.list(principal.id, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A workspace the caller is a member of' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: WorkspaceDto })
  @ApiErrorResponse(404, NOT_A_MEMBER)
  get(
    @CurrentUser() principal: Principal,
    @Param('id', ParseIdPipe) id: string,
  ): Promise<WorkspaceDto> {
    return this.workspaces.get(id, principal.id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename a workspace (owners and admins)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: WorkspaceDto })
  @ApiErrorResponse(403, 'The caller is a member, not an owner or admin')
  @ApiErrorResponse(404, NOT_A_MEMBER)
  rename(
    @CurrentUser() principal: Principal,
    @Param('id', ParseIdPipe) id: string,
    @Body() body: WorkspaceNameDto,
    @Meta() meta: RequestMeta,
  ): Promise<WorkspaceDto> {
    return this.workspaces.rename(id, principal.id, body.name, meta);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Delete a workspace (owners)',
    description:
      "Its subscription is cancelled first (a failure there stops the deletion); every member's membership ends.",
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Deleted, with its members and invitations' })
  @ApiErrorResponse(403, 'The caller is not an owner of the workspace')
  @ApiErrorResponse(404, NOT_A_MEMBER)
  delete(
    @CurrentUser() principal: Principal,
    @Param('id', ParseIdPipe) id: string,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.workspaces.delete(id, principal.id, meta);
  }

  @Get(':id/members')
  @ApiOperation({ summary: "The workspace's members, earliest first" })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: MemberDto, isArray: true })
  @ApiErrorResponse(404, NOT_A_MEMBER)
  members(
    @CurrentUser() principal: Principal,
    @Param('id', ParseIdPipe) id: string,
  ): Promise<MemberDto[]> {
    return this.workspaces.members(id, principal.id);
  }

  @Patch(':id/members/:userId')
  @ApiOperation({
    summary: "Change a member's role",
    description:
      'Owners change any role, their own included, and make owners. Admins move members and admins (themselves included) between `member` and `admin`, and neither change an owner nor make one. Members change no role. The last owner cannot be demoted.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'userId', format: 'uuid' })
  @ApiOkResponse({ type: MemberDto })
  @ApiErrorResponse(403, 'The caller may not make this change (see the rules above)')
  @ApiErrorResponse(404, `${NOT_A_MEMBER}, or the user is not a member`)
  @ApiErrorResponse(409, LAST_OWNER_409)
  changeRole(
    @CurrentUser() principal: Principal,
    @Param('id', ParseIdPipe) id: string,
    @Param('userId', ParseIdPipe) userId: string,
    @Body() body: ChangeMemberRoleDto,
    @Meta() meta: RequestMeta,
  ): Promise<MemberDto> {
    return this.workspaces.changeRole(id, principal.id, userId, body.role, meta);
  }

  @Delete(':id/members/:userId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Remove a member, or leave (the caller’s own id)',
    description:
      'Anyone may leave. Owners remove anyone; admins remove members and admins, not owners. The last owner can neither leave nor be removed. Access ends at once on every instance.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'userId', format: 'uuid' })
  @ApiNoContentResponse({ description: 'The membership ended' })
  @ApiErrorResponse(403, 'The caller may not remove this member')
  @ApiErrorResponse(404, `${NOT_A_MEMBER}, or the user is not a member`)
  @ApiErrorResponse(409, LAST_OWNER_409)
  removeMember(
    @CurrentUser() principal: Principal,
    @Param('id', ParseIdPipe) id: string,
    @Param('userId', ParseIdPipe) userId: string,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.workspaces.removeMember(id, principal.id, userId, meta);
  }

  @Post(':id/invitations')
  @RouteRateLimit({ name: 'workspace-invitations', limit: 50, windowSeconds: HOUR, by: 'user' })
  @ApiOperation({
    summary: 'Invite an address (owners and admins with a verified address)',
    description: `Mails a single-use token valid ${INVITATION_TTL_DAYS} days. Inviting an address with an open invitation replaces its token (the old one stops working), role and expiry and mails again, at most once every ${INVITATION_RESEND_INTERVAL_SECONDS} seconds. At most ${MAX_OPEN_INVITATIONS} open invitations per workspace; at most 50 invitations per user an hour.`,
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiCreatedResponse({ type: InvitationDto })
  @ApiErrorResponse(
    403,
    'The caller is a member, not an owner or admin; or error "email_not_verified": the caller\'s address is not verified',
  )
  @ApiErrorResponse(404, NOT_A_MEMBER)
  @ApiErrorResponse(
    409,
    "The address is already a member's, or the workspace has too many open invitations",
  )
  @ApiErrorResponse(429, 'Too many invitations, or this address was mailed a moment ago')
  invite(
    @CurrentUser() principal: Principal,
    @Param('id', ParseIdPipe) id: string,
    @Body() body: CreateInvitationDto,
    @Meta() meta: RequestMeta,
  ): Promise<InvitationDto> {
    return this.invitations.invite(id, principal.id, body, meta);
  }

  @Get(':id/invitations')
  @ApiOperation({
    summary: 'Open invitations (owners and admins)',
    description: `Neither accepted nor revoked, newest first (at most ${MAX_OPEN_INVITATIONS}); an expired one says so until sent again or revoked.`,
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: InvitationDto, isArray: true })
  @ApiErrorResponse(403, 'The caller is a member, not an owner or admin')
  @ApiErrorResponse(404, NOT_A_MEMBER)
  listInvitations(
    @CurrentUser() principal: Principal,
    @Param('id', ParseIdPipe) id: string,
  ): Promise<InvitationDto[]> {
    return this.invitations.list(id, principal.id);
  }

  @Delete(':id/invitations/:invId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke an open invitation (owners and admins)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiParam({ name: 'invId', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Revoked: its token no longer works' })
  @ApiErrorResponse(403, 'The caller is a member, not an owner or admin')
  @ApiErrorResponse(404, `${NOT_A_MEMBER}, or no open invitation of it has this id`)
  revokeInvitation(
    @CurrentUser() principal: Principal,
    @Param('id', ParseIdPipe) id: string,
    @Param('invId', ParseIdPipe) invId: string,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    return this.invitations.revoke(id, principal.id, invId, meta);
  }
}
