import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EmailNotVerifiedException } from '../../common/errors/email-not-verified.exception.js';
import { TooManyRequestsException } from '../../common/errors/too-many-requests.exception.js';
import { DomainEvents, type RequestMeta } from '../../common/events/domain-events.js';
import { EventPublisher } from '../../common/events/event-publisher.service.js';
import { Clock } from '../../common/time/clock.js';
import { UsersService } from '../users/users.service.js';
import type { InvitationDto, MembershipDto } from './dto/workspace.dto.js';
import { InvitationTokens } from './invitation-tokens.js';
import { InvitationsRepository, type InvitationRow } from './invitations.repository.js';
import { WorkspaceMail } from './workspace-mail.js';
import { invitationState, type InvitableRole } from './workspace-roles.js';
import { WorkspacesService } from './workspaces.service.js';

export const INVITATION_TTL_DAYS = 7;
const DAY_MS = 86_400_000;
/** A pending invitation is mailed again at most once a minute. */
export const INVITATION_RESEND_INTERVAL_SECONDS = 60;
/** Open invitations a workspace may have at once (a bound on what one admin can mail). */
export const MAX_OPEN_INVITATIONS = 100;
/** One answer for a token that is wrong, expired, revoked or used: which is not told. */
export const INVALID_INVITATION = 'The invitation is invalid or has expired';

/**
 * Invitations to a workspace: a random token mailed (through the durable queue, in the
 * transaction that stores it) to the invitee, stored only as its HMAC (InvitationTokens).
 * Valid 7 days and single use; inviting the same address again while one is open replaces
 * its token (the old one stops working) and mails again. Accepting needs the caller's
 * verified address to be the invited one.
 */
@Injectable()
export class WorkspaceInvitations {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly invitations: InvitationsRepository,
    private readonly workspaces: WorkspacesService,
    private readonly users: UsersService,
    private readonly mail: WorkspaceMail,
    private readonly events: EventPublisher,
    private readonly tokens: InvitationTokens,
    private readonly clock: Clock,
  ) {}

  /**
   * By an owner or admin whose own address is verified. 409 when the address is already a
   * member's or the workspace has too many open invitations; 429 when the same address was
   * mailed less than a minute ago.
   */
  async invite(
    workspaceId: string,
    actorId: string,
    input: { email: string; role: InvitableRole },
    meta: RequestMeta,
  ): Promise<InvitationDto> {
    await this.workspaces.requireRole(workspaceId, actorId, 'admin');
    await this.users.assertEmailVerified(actorId);
    const existing = await this.users.findByEmail(input.email);
    if (existing && (await this.workspaces.roleOf(workspaceId, existing.id)))
      throw new ConflictException('This address belongs to a member of the workspace already');
    const { token, tokenHash } = this.tokens.issue();
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + INVITATION_TTL_DAYS * DAY_MS);
    const { invitation, resent } = await this.dataSource.transaction(async (manager) => {
      const workspace = await this.workspaces.lock(manager, workspaceId);
      if (!workspace) throw new NotFoundException('Workspace not found');
      // Again under the lock: an inviter removed or made a member meanwhile (whose open
      // invitations were revoked then) sends none.
      await this.workspaces.requireRole(workspaceId, actorId, 'admin', manager);
      const open = await this.invitations.findOpen(manager, workspaceId, input.email);
      const fields = { role: input.role, invitedBy: actorId, expiresAt, tokenHash, sentAt: now };
      let row: InvitationRow;
      if (open) {
        const wait =
          open.lastSentAt.getTime() + INVITATION_RESEND_INTERVAL_SECONDS * 1000 - now.getTime();
        if (wait > 0)
          throw new TooManyRequestsException(
            Math.ceil(wait / 1000),
            'This address was invited a moment ago: wait before sending again',
          );
        row = await this.invitations.renew(manager, open.id, fields);
      } else {
        if ((await this.invitations.countOpen(manager, workspaceId)) >= MAX_OPEN_INVITATIONS)
          throw new ConflictException(
            `A workspace has at most ${MAX_OPEN_INVITATIONS} open invitations: revoke some first`,
          );
        row = await this.invitations.insert(manager, {
          workspaceId,
          email: input.email,
          ...fields,
        });
      }
      await this.mail.invitation(
        input.email,
        { workspace: workspace.name, token, days: INVITATION_TTL_DAYS },
        manager,
      );
      return { invitation: row, resent: open !== null };
    });
    this.mail.wake();
    this.events.publish(DomainEvents.WorkspaceInvitationSent, actorId, meta, {
      workspaceId,
      invitationId: invitation.id,
      role: invitation.role,
      resent,
    });
    return this.view(invitation);
  }

  /** Open invitations (pending or expired), for owners and admins; never a token or hash. */
  async list(workspaceId: string, actorId: string): Promise<InvitationDto[]> {
    await this.workspaces.requireRole(workspaceId, actorId, 'admin');
    return (await this.invitations.listOpen(workspaceId)).map((row) => this.view(row));
  }

  /** 404 when no open invitation of the workspace has this id. */
  async revoke(
    workspaceId: string,
    actorId: string,
    invitationId: string,
    meta: RequestMeta,
  ): Promise<void> {
    await this.workspaces.requireRole(workspaceId, actorId, 'admin');
    if (!(await this.invitations.revoke(workspaceId, invitationId, this.clock.now())))
      throw new NotFoundException('Invitation not found');
    this.events.publish(DomainEvents.WorkspaceInvitationRevoked, actorId, meta, {
      workspaceId,
      invitationId,
    });
  }

  /**
   * The caller joins with the invitation's role. Under the workspace's lock, one conditional
   * UPDATE uses the invitation up: of two acceptances at once, one joins and the other gets
   * the 400 of a used token. Already a member: the invitation is used up, the role stays.
   */
  async accept(userId: string, token: string, meta: RequestMeta): Promise<MembershipDto> {
    const user = await this.users.findById(userId);
    if (!user?.emailVerifiedAt)
      throw new EmailNotVerifiedException('Verify your email address to accept an invitation');
    const tokenHash = this.tokens.hash(token);
    const found = await this.invitations.findByTokenHash(tokenHash);
    if (!found || invitationState(found, this.clock.now()) !== 'pending')
      throw new BadRequestException(INVALID_INVITATION);
    if (found.email !== user.email)
      throw new ForbiddenException({
        error: 'invitation_email_mismatch',
        message:
          'This invitation was sent to another email address: sign in with the invited address to accept it',
      });
    const outcome = await this.dataSource.transaction(async (manager) => {
      const workspace = await this.workspaces.lock(manager, found.workspaceId);
      if (!workspace) return null;
      const used = await this.invitations.consume(
        manager,
        found.id,
        tokenHash,
        userId,
        this.clock.now(),
      );
      if (!used) return null;
      const joined = await this.workspaces.join(manager, workspace.id, userId, used.role);
      return { workspace, joined, role: used.role };
    });
    if (!outcome) throw new BadRequestException(INVALID_INVITATION);
    const { workspace } = outcome;
    this.events.publish(DomainEvents.WorkspaceInvitationAccepted, userId, meta, {
      workspaceId: workspace.id,
      invitationId: found.id,
    });
    if (outcome.joined) {
      this.events.publish(DomainEvents.WorkspaceMemberAdded, userId, meta, {
        workspaceId: workspace.id,
        memberId: userId,
        role: outcome.role,
        invitationId: found.id,
      });
      await this.workspaces.membershipsChanged(workspace.id, [userId]);
    }
    const membership = await this.workspaces.membership(workspace.id, userId);
    // Removed again between the commit and this read.
    if (!membership) throw new NotFoundException('Workspace not found');
    return {
      workspace: { id: workspace.id, name: workspace.name },
      userId,
      role: membership.role,
      joinedAt: membership.joinedAt,
    };
  }

  private view(row: InvitationRow): InvitationDto {
    return {
      id: row.id,
      email: row.email,
      role: row.role,
      status: invitationState(row, this.clock.now()) === 'pending' ? 'pending' : 'expired',
      invitedBy: row.invitedBy,
      createdAt: row.createdAt,
      lastSentAt: row.lastSentAt,
      expiresAt: row.expiresAt,
    };
  }
}
