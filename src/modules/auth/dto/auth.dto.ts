import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsEmail,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { normaliseEmail, PLAIN_EMAIL } from '../../../common/text/identifiers.js';
import { AuthenticationResponseDto } from '../passkeys/dto/webauthn.dto.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../password.service.js';

const email = ({ value }: { value: unknown }) => normaliseEmail(value);
const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class RegisterDto {
  @ApiProperty({ example: 'ada@example.com', format: 'email', maxLength: 254 })
  @Transform(email)
  @IsEmail({}, { message: 'email must be a valid email address' })
  @Matches(PLAIN_EMAIL, { message: 'email must be a plain address, without spaces or quotes' })
  @MaxLength(254)
  email!: string;

  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH })
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH)
  password!: string;

  @ApiProperty({ example: 'Ada Lovelace', minLength: 1, maxLength: 100 })
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  name!: string;
}

export class LoginDto {
  @ApiProperty({ example: 'ada@example.com', minLength: 1, maxLength: 254 })
  @Transform(email)
  @IsString()
  @Length(1, 254)
  email!: string;

  /** Not length-checked beyond a bound: a wrong password must get the same 401 as any other. */
  @ApiProperty({ minLength: 1, maxLength: 1024 })
  @IsString()
  @Length(1, 1024)
  password!: string;
}

export class RefreshDto {
  @ApiProperty({
    description: 'The refresh token from login, register or the last refresh',
    minLength: 1,
    maxLength: 512,
  })
  @IsString()
  @Length(1, 512)
  refreshToken!: string;
}

export class ForgotPasswordDto {
  @ApiProperty({ example: 'ada@example.com', format: 'email', maxLength: 254 })
  @Transform(email)
  @IsEmail({}, { message: 'email must be a valid email address' })
  @Matches(PLAIN_EMAIL, { message: 'email must be a plain address, without spaces or quotes' })
  @MaxLength(254)
  email!: string;
}

export class ResetPasswordDto {
  @ApiProperty({ description: 'The token from the reset email', minLength: 1, maxLength: 512 })
  @IsString()
  @Length(1, 512)
  token!: string;

  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH })
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH)
  password!: string;
}

export class ChangePasswordDto {
  @ApiProperty({ minLength: 1, maxLength: 1024 })
  @IsString()
  @Length(1, 1024)
  currentPassword!: string;

  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH })
  @IsString()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH)
  newPassword!: string;
}

export class ErasureDto {
  @ApiPropertyOptional({
    description:
      'The current password, to confirm; without it (an account without a password, say) a sign-in within STEP_UP_MAX_AGE_SECONDS is needed',
    minLength: 1,
    maxLength: 1024,
  })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  password?: string;
}

export class EmailCodeDto {
  @ApiProperty({
    description: 'The 6-digit code from the mail',
    example: '042917',
    pattern: '^[0-9]{6}$',
  })
  @IsString()
  @Matches(/^[0-9]{6}$/, { message: 'code must be 6 digits' })
  code!: string;
}

export class ChangeEmailDto {
  @ApiProperty({ example: 'ada@example.org', format: 'email', maxLength: 254 })
  @Transform(email)
  @IsEmail({}, { message: 'newEmail must be a valid email address' })
  @Matches(PLAIN_EMAIL, { message: 'newEmail must be a plain address, without spaces or quotes' })
  @MaxLength(254)
  newEmail!: string;

  @ApiProperty({ description: 'The current password, to confirm', minLength: 1, maxLength: 1024 })
  @IsString()
  @Length(1, 1024)
  password!: string;
}

/** One way of proving who the user is again: exactly one field. */
export class ReauthenticateDto {
  @ApiPropertyOptional({ description: "The user's password", minLength: 1, maxLength: 1024 })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  password?: string;

  @ApiPropertyOptional({
    description: 'A 6-digit TOTP code, or a recovery code (xxxxx-xxxxx)',
    minLength: 1,
    maxLength: 64,
  })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  code?: string;

  @ApiPropertyOptional({
    type: AuthenticationResponseDto,
    description:
      'A passkey assertion (PublicKeyCredential.toJSON()) made from the options of POST /api/v1/auth/passkeys/login/options',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => AuthenticationResponseDto)
  webauthn?: AuthenticationResponseDto;
}
