import { ApiProperty, OmitType } from '@nestjs/swagger';
import { ActivityItemDto } from '../../activity/dto/activity.dto.js';
import { UserDto } from '../../users/dto/user.dto.js';
import type { AccountExport, ExportedIdentity } from '../account-export.service.js';
import { ExportedMembershipDto } from '../../workspaces/dto/workspace.dto.js';
import { PasskeyDto } from '../passkeys/dto/passkey.dto.js';
import type { SessionView } from '../sessions.repository.js';

export class ExportedSessionDto implements SessionView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String, nullable: true })
  userAgent!: string | null;

  @ApiProperty({ type: String, nullable: true })
  ipAddress!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  lastUsedAt!: Date;

  @ApiProperty({ type: String, format: 'date-time' })
  expiresAt!: Date;

  @ApiProperty({
    type: String,
    format: 'date-time',
    description: 'When the user last proved who they are in this session',
  })
  authenticatedAt!: Date;

  @ApiProperty({ description: 'Established or reauthenticated with a second factor' })
  mfa!: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  revokedAt!: Date | null;
}

export class ExportedActivityDto extends OmitType(ActivityItemDto, ['id', 'userId'] as const) {}

export class ExportedIdentityDto implements ExportedIdentity {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'google' })
  provider!: string;

  @ApiProperty({ example: 'https://accounts.google.com' })
  issuer!: string;

  @ApiProperty({ description: "The provider's id for the user" })
  subject!: string;

  @ApiProperty({ type: String, nullable: true })
  email!: string | null;

  @ApiProperty()
  emailVerified!: boolean;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastUsedAt!: Date | null;
}

export class AccountExportDto implements AccountExport {
  @ApiProperty({ type: String, format: 'date-time' })
  exportedAt!: Date;

  @ApiProperty({ type: UserDto })
  profile!: UserDto;

  @ApiProperty({ type: ExportedSessionDto, isArray: true, description: 'Ended ones included' })
  sessions!: ExportedSessionDto[];

  @ApiProperty({ type: PasskeyDto, isArray: true, description: 'Without their public keys' })
  passkeys!: PasskeyDto[];

  @ApiProperty({ type: ExportedIdentityDto, isArray: true, description: 'Linked social sign-ins' })
  identities!: ExportedIdentityDto[];

  @ApiProperty({ type: ExportedMembershipDto, isArray: true })
  workspaces!: ExportedMembershipDto[];

  @ApiProperty({ type: ExportedActivityDto, isArray: true })
  activity!: ExportedActivityDto[];
}
