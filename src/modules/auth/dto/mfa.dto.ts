import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, Length, Matches, ValidateNested } from 'class-validator';
import { AuthenticationResponseDto } from '../passkeys/dto/webauthn.dto.js';

export class TotpCodeDto {
  @ApiProperty({
    description: 'The 6-digit code the authenticator app shows now',
    example: '492039',
    pattern: '^[0-9]{6}$',
  })
  @IsString()
  @Matches(/^[0-9]{6}$/, { message: 'code must be 6 digits' })
  code!: string;
}

/** The second step of a sign-in: the mfaToken and exactly one second factor. */
export class MfaVerifyDto {
  @ApiProperty({
    description: 'The mfaToken from the sign-in answer',
    minLength: 1,
    maxLength: 128,
  })
  @IsString()
  @Length(1, 128)
  mfaToken!: string;

  @ApiPropertyOptional({
    description: 'A 6-digit code from the authenticator app',
    pattern: '^[0-9]{6}$',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9]{6}$/, { message: 'code must be 6 digits' })
  code?: string;

  @ApiPropertyOptional({
    description: 'One of the recovery codes (xxxxx-xxxxx); each works once',
    minLength: 1,
    maxLength: 64,
  })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  recoveryCode?: string;

  @ApiPropertyOptional({
    type: AuthenticationResponseDto,
    description:
      "A passkey assertion (PublicKeyCredential.toJSON()) of one of the account's passkeys, made from the options of POST /api/v1/auth/passkeys/login/options",
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => AuthenticationResponseDto)
  webauthn?: AuthenticationResponseDto;
}

export class TotpSetupDto {
  @ApiProperty({
    description: 'The base32 secret, for typing into an authenticator app',
    example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
  })
  secret!: string;

  @ApiProperty({
    description: 'The otpauth:// URL to show as a QR code',
    example:
      'otpauth://totp/InsightSheet:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=InsightSheet',
  })
  otpauthUrl!: string;
}

export class RecoveryCodesDto {
  @ApiProperty({
    description: 'Ten single-use codes, shown this once: each signs in or confirms once',
    type: [String],
    example: ['k3jq7-ab2xz', 'mn4pt-7c2qd'],
  })
  recoveryCodes!: string[];
}

export class MfaStatusDto {
  @ApiProperty({ description: 'Two-step verification with an authenticator app is on' })
  totp!: boolean;

  @ApiProperty({ type: 'integer', description: 'Recovery codes not used yet', example: 10 })
  recoveryCodesRemaining!: number;
}
