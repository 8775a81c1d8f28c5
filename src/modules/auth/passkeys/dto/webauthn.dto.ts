import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  registerDecorator,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';

/**
 * The JSON a browser's `PublicKeyCredential.toJSON()` gives for a new credential
 * (navigator.credentials.create) and for an assertion (navigator.credentials.get): exactly
 * those fields, each bounded. Binary values are base64url without padding.
 */

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const base64url = (property: string) => ({
  message: `${property} must be base64url (A-Z, a-z, 0-9, "-" and "_", no padding)`,
});
const EXTENSION_RESULTS_MAX_BYTES = 2048;

/** Credential ids are at most 1023 bytes (WebAuthn), 1364 characters in base64url. */
export const CREDENTIAL_ID_MAX_LENGTH = 1364;

function IsSmallPlainObject(maxBytes: number, options?: ValidationOptions) {
  return (target: object, property: string) =>
    registerDecorator({
      name: 'isSmallPlainObject',
      target: target.constructor,
      propertyName: property,
      options: {
        message: `${property} must be a JSON object of at most ${maxBytes} bytes`,
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          value !== null &&
          typeof value === 'object' &&
          !Array.isArray(value) &&
          Buffer.byteLength(JSON.stringify(value), 'utf8') <= maxBytes,
      },
    });
}

class PublicKeyCredentialJsonDto {
  @ApiProperty({
    description: 'The credential id (base64url)',
    maxLength: CREDENTIAL_ID_MAX_LENGTH,
  })
  @IsString()
  @Length(1, CREDENTIAL_ID_MAX_LENGTH)
  @Matches(BASE64URL, base64url('id'))
  id!: string;

  @ApiProperty({ description: 'The same id as `id`', maxLength: CREDENTIAL_ID_MAX_LENGTH })
  @IsString()
  @Length(1, CREDENTIAL_ID_MAX_LENGTH)
  @Matches(BASE64URL, base64url('rawId'))
  rawId!: string;

  @ApiProperty({ enum: ['public-key'] })
  @IsIn(['public-key'])
  type!: 'public-key';

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: `The client extension outputs (such as credProps); at most ${EXTENSION_RESULTS_MAX_BYTES} bytes`,
  })
  @IsSmallPlainObject(EXTENSION_RESULTS_MAX_BYTES)
  clientExtensionResults!: Record<string, unknown>;

  @ApiPropertyOptional({ enum: ['platform', 'cross-platform'] })
  @IsOptional()
  @IsIn(['platform', 'cross-platform'])
  authenticatorAttachment?: 'platform' | 'cross-platform';
}

export class AuthenticatorAttestationResponseDto {
  @ApiProperty({ maxLength: 8192 })
  @IsString()
  @Length(1, 8192)
  @Matches(BASE64URL, base64url('clientDataJSON'))
  clientDataJSON!: string;

  @ApiProperty({ maxLength: 65536 })
  @IsString()
  @Length(1, 65536)
  @Matches(BASE64URL, base64url('attestationObject'))
  attestationObject!: string;

  @ApiPropertyOptional({ maxLength: 16384 })
  @IsOptional()
  @IsString()
  @Length(1, 16384)
  @Matches(BASE64URL, base64url('authenticatorData'))
  authenticatorData?: string;

  @ApiPropertyOptional({
    type: String,
    isArray: true,
    maxItems: 10,
    example: ['internal', 'hybrid'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @Matches(/^[a-z][a-z-]{0,31}$/, { each: true, message: 'transports must be transport names' })
  transports?: string[];

  @ApiPropertyOptional({ type: 'integer', description: 'COSE algorithm identifier', example: -7 })
  @IsOptional()
  @IsInt()
  publicKeyAlgorithm?: number;

  @ApiPropertyOptional({ maxLength: 8192, description: 'SubjectPublicKeyInfo (base64url)' })
  @IsOptional()
  @IsString()
  @Length(1, 8192)
  @Matches(BASE64URL, base64url('publicKey'))
  publicKey?: string;
}

export class AuthenticatorAssertionResponseDto {
  @ApiProperty({ maxLength: 8192 })
  @IsString()
  @Length(1, 8192)
  @Matches(BASE64URL, base64url('clientDataJSON'))
  clientDataJSON!: string;

  @ApiProperty({ maxLength: 16384 })
  @IsString()
  @Length(1, 16384)
  @Matches(BASE64URL, base64url('authenticatorData'))
  authenticatorData!: string;

  @ApiProperty({ maxLength: 8192 })
  @IsString()
  @Length(1, 8192)
  @Matches(BASE64URL, base64url('signature'))
  signature!: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 88,
    description: 'The user handle of a discoverable credential',
  })
  @IsOptional()
  @IsString()
  @Length(1, 88)
  @Matches(BASE64URL, base64url('userHandle'))
  userHandle?: string | null;
}

/** A new credential, as `PublicKeyCredential.toJSON()` gives it after navigator.credentials.create(). */
export class RegistrationResponseDto extends PublicKeyCredentialJsonDto {
  @ApiProperty({ type: AuthenticatorAttestationResponseDto })
  @IsObject()
  @ValidateNested()
  @Type(() => AuthenticatorAttestationResponseDto)
  response!: AuthenticatorAttestationResponseDto;
}

/** An assertion, as `PublicKeyCredential.toJSON()` gives it after navigator.credentials.get(). */
export class AuthenticationResponseDto extends PublicKeyCredentialJsonDto {
  @ApiProperty({ type: AuthenticatorAssertionResponseDto })
  @IsObject()
  @ValidateNested()
  @Type(() => AuthenticatorAssertionResponseDto)
  response!: AuthenticatorAssertionResponseDto;
}
