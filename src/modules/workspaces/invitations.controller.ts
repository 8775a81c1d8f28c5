import { Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentUser, type Principal } from '../../common/auth/auth.decorators.js';
import type { RequestMeta } from '../../common/events/domain-events.js';
import { Meta } from '../../common/http/request-meta.js';
import { ApiErrorResponse } from '../../common/openapi/api-error-response.decorator.js';
import { RouteRateLimit } from '../../common/rate-limit/route-rate-limit.js';
import { AcceptInvitationDto, MembershipDto } from './dto/workspace.dto.js';
import { WorkspaceInvitations } from './workspace-invitations.service.js';

@ApiTags('workspaces')
@ApiBearerAuth()
@Controller('invitations')
export class InvitationsController {
  constructor(private readonly invitations: WorkspaceInvitations) {}

  @Post('accept')
  @HttpCode(HttpStatus.OK)
  @RouteRateLimit({ name: 'invitation-accept', limit: 30, windowSeconds: 900, by: 'user' })
  @ApiOperation({
    summary: 'Accept a workspace invitation',
    description:
      "The caller joins with the invitation's role. Their address must be verified and be the invited one. The token is single use; accepting again is a 400.",
  })
  @ApiOkResponse({ type: MembershipDto })
  @ApiErrorResponse(
    400,
    'The token is wrong, expired, revoked or already used (one answer for all)',
  )
  @ApiErrorResponse(
    403,
    'error "email_not_verified": the caller\'s address is not verified; or error "invitation_email_mismatch": the invitation was sent to another address',
  )
  accept(
    @CurrentUser() principal: Principal,
    @Body() body: AcceptInvitationDto,
    @Meta() meta: RequestMeta,
  ): Promise<MembershipDto> {
    return this.invitations.accept(principal.id, body.token, meta);
  }
}
