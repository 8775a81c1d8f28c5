import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { normaliseEmail, PLAIN_EMAIL } from '../../../common/text/identifiers.js';
import {
  INVITABLE_ROLES,
  WORKSPACE_ROLES,
  type InvitableRole,
  type WorkspaceRole,
} from '../workspace-roles.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
/** Shown in lists and quoted in invitation mails: one line of printable text. */
const NAME = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u;
const NAME_RULE = { message: 'name must be one line of printable text' };

/** The most workspaces GET /workspaces answers with at once. */
export const WORKSPACE_PAGE_MAX = 100;

export class WorkspaceNameDto {
  @ApiProperty({ example: 'Finance team', minLength: 1, maxLength: 100 })
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @Matches(NAME, NAME_RULE)
  name!: string;
}

export class WorkspaceListQueryDto {
  @ApiPropertyOptional({ type: 'integer', default: 1, minimum: 1, maximum: 100_000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  page: number = 1;

  @ApiPropertyOptional({ type: 'integer', default: 50, minimum: 1, maximum: WORKSPACE_PAGE_MAX })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(WORKSPACE_PAGE_MAX)
  limit: number = 50;
}

export class ChangeMemberRoleDto {
  @ApiProperty({ enum: WORKSPACE_ROLES })
  @IsIn(WORKSPACE_ROLES)
  role!: WorkspaceRole;
}

export class CreateInvitationDto {
  @ApiProperty({ format: 'email', maxLength: 254, example: 'colleague@example.com' })
  @Transform(({ value }: { value: unknown }) => normaliseEmail(value))
  @IsEmail({}, { message: 'email must be a valid email address' })
  @Matches(PLAIN_EMAIL, { message: 'email must be a plain address, without spaces or quotes' })
  @MaxLength(254)
  email!: string;

  @ApiProperty({
    enum: INVITABLE_ROLES,
    description: 'Invitations make admins or members; an owner makes another owner by PATCH',
  })
  @IsIn(INVITABLE_ROLES)
  role!: InvitableRole;
}

export class AcceptInvitationDto {
  @ApiProperty({ description: 'The token from the invitation mail' })
  @IsString()
  @Length(1, 200)
  token!: string;
}

export class WorkspaceDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Finance team' })
  name!: string;

  @ApiProperty({ enum: WORKSPACE_ROLES, description: "The caller's role in the workspace" })
  role!: WorkspaceRole;

  @ApiProperty({ type: 'integer' })
  memberCount!: number;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: Date;
}

export class WorkspaceListDto {
  @ApiProperty({ type: WorkspaceDto, isArray: true })
  items!: WorkspaceDto[];

  @ApiProperty({ type: 'integer' })
  total!: number;

  @ApiProperty({ type: 'integer' })
  page!: number;

  @ApiProperty({ type: 'integer' })
  limit!: number;
}

export class AdminWorkspaceQueryDto extends WorkspaceListQueryDto {
  @ApiPropertyOptional({ description: 'Part of the name, any case', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  search?: string;
}

/** A workspace as an administrator sees it: no role of the caller's in it. */
export class AdminWorkspaceDto extends OmitType(WorkspaceDto, ['role'] as const) {}

export class AdminWorkspaceListDto {
  @ApiProperty({ type: AdminWorkspaceDto, isArray: true })
  items!: AdminWorkspaceDto[];

  @ApiProperty({ type: 'integer' })
  total!: number;

  @ApiProperty({ type: 'integer' })
  page!: number;

  @ApiProperty({ type: 'integer' })
  limit!: number;
}

export class MemberDto {
  @ApiProperty({ format: 'uuid' })
  userId!: string;

  @ApiProperty({ format: 'email' })
  email!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: WORKSPACE_ROLES })
  role!: WorkspaceRole;

  @ApiProperty({ type: String, format: 'date-time' })
  joinedAt!: Date;
}

export class InvitationDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'email' })
  email!: string;

  @ApiProperty({ enum: INVITABLE_ROLES })
  role!: InvitableRole;

  @ApiProperty({
    enum: ['pending', 'expired'],
    description: 'An expired invitation can be sent again (POST with the same email)',
  })
  status!: 'pending' | 'expired';

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  invitedBy!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  lastSentAt!: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  expiresAt!: Date;
}

export class WorkspaceSummaryDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;
}

export class MembershipDto {
  @ApiProperty({ type: WorkspaceSummaryDto })
  workspace!: WorkspaceSummaryDto;

  @ApiProperty({ format: 'uuid' })
  userId!: string;

  @ApiProperty({ enum: WORKSPACE_ROLES })
  role!: WorkspaceRole;

  @ApiProperty({ type: String, format: 'date-time' })
  joinedAt!: Date;
}

/** One of a user's memberships, as their data export shows it. */
export class ExportedMembershipDto {
  @ApiProperty({ format: 'uuid' })
  workspaceId!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: ['owner', 'admin', 'member'] })
  role!: WorkspaceRole;

  @ApiProperty({ type: String, format: 'date-time' })
  joinedAt!: Date;
}
