import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsObject, IsOptional, IsString, Length, Matches, ValidateNested } from 'class-validator';
import type { PasskeyView } from '../passkeys.repository.js';
import { AuthenticationResponseDto, RegistrationResponseDto } from './webauthn.dto.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
/** Shown in lists and quoted in mails: one line of printable text. */
const NAME = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u;
const NAME_RULE = { message: 'name must be one line of printable text' };

export class RegisterPasskeyDto {
  @ApiProperty({
    type: RegistrationResponseDto,
    description:
      'The new credential, as PublicKeyCredential.toJSON() gives it, made from the options of POST /auth/passkeys/register/options',
  })
  @IsObject()
  @ValidateNested()
  @Type(() => RegistrationResponseDto)
  response!: RegistrationResponseDto;

  @ApiPropertyOptional({
    example: 'Work laptop',
    minLength: 1,
    maxLength: 100,
    description: 'Defaults to one naming the browser and system it was added from',
  })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @Matches(NAME, NAME_RULE)
  name?: string;
}

export class RenamePasskeyDto {
  @ApiProperty({ example: 'Work laptop', minLength: 1, maxLength: 100 })
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @Matches(NAME, NAME_RULE)
  name!: string;
}

export class PasskeyLoginDto {
  @ApiProperty({
    type: AuthenticationResponseDto,
    description:
      'The assertion, as PublicKeyCredential.toJSON() gives it, made from the options of POST /auth/passkeys/login/options',
  })
  @IsObject()
  @ValidateNested()
  @Type(() => AuthenticationResponseDto)
  response!: AuthenticationResponseDto;
}

export class PasskeyCreatedDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'Work laptop' })
  name!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;
}

export class PasskeyDto extends PasskeyCreatedDto implements PasskeyView {
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'The last sign-in or reauthentication with it; null when never used',
  })
  lastUsedAt!: Date | null;
}
