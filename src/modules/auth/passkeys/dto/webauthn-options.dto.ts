import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * The options for navigator.credentials.create() and .get(), in the JSON form that
 * `PublicKeyCredential.parseCreationOptionsFromJSON` / `parseRequestOptionsFromJSON` read
 * (binary values base64url). Documented for clients; passed to the browser as they are.
 */

class RelyingPartyDto {
  @ApiPropertyOptional({
    example: 'app.insightsheet.io',
    description: 'The RP id (WEBAUTHN_RP_ID)',
  })
  id?: string;

  @ApiProperty({ example: 'InsightSheet' })
  name!: string;
}

class WebAuthnUserDto {
  @ApiProperty({
    description: "The user handle (base64url); the same for all of a user's passkeys",
  })
  id!: string;

  @ApiProperty({ example: 'ada@example.com' })
  name!: string;

  @ApiProperty({ example: 'Ada Lovelace' })
  displayName!: string;
}

class CredentialParameterDto {
  @ApiProperty({ enum: ['public-key'] })
  type!: 'public-key';

  @ApiProperty({ type: 'integer', example: -7, description: 'COSE algorithm identifier' })
  alg!: number;
}

class CredentialDescriptorDto {
  @ApiProperty({ description: 'A credential id (base64url)' })
  id!: string;

  @ApiProperty({ example: 'public-key' })
  type!: string;

  @ApiPropertyOptional({ type: String, isArray: true })
  transports?: string[];
}

class AuthenticatorSelectionDto {
  @ApiPropertyOptional({ enum: ['platform', 'cross-platform'] })
  authenticatorAttachment?: string;

  @ApiPropertyOptional({ enum: ['discouraged', 'preferred', 'required'] })
  residentKey?: string;

  @ApiPropertyOptional()
  requireResidentKey?: boolean;

  @ApiPropertyOptional({ enum: ['discouraged', 'preferred', 'required'] })
  userVerification?: string;
}

export class PasskeyCreationOptionsDto {
  @ApiProperty({ description: 'Single use, valid WEBAUTHN_CHALLENGE_TTL_SECONDS (base64url)' })
  challenge!: string;

  @ApiProperty({ type: RelyingPartyDto })
  rp!: RelyingPartyDto;

  @ApiProperty({ type: WebAuthnUserDto })
  user!: WebAuthnUserDto;

  @ApiProperty({ type: CredentialParameterDto, isArray: true })
  pubKeyCredParams!: CredentialParameterDto[];

  @ApiPropertyOptional({ type: 'integer', description: 'Milliseconds' })
  timeout?: number;

  @ApiPropertyOptional({
    type: CredentialDescriptorDto,
    isArray: true,
    description: "The caller's passkeys, so that an authenticator is not registered twice",
  })
  excludeCredentials?: CredentialDescriptorDto[];

  @ApiPropertyOptional({ type: AuthenticatorSelectionDto })
  authenticatorSelection?: AuthenticatorSelectionDto;

  @ApiPropertyOptional({ enum: ['none', 'indirect', 'direct', 'enterprise'] })
  attestation?: string;

  @ApiPropertyOptional({ type: String, isArray: true })
  hints?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  extensions?: object;
}

export class PasskeyRequestOptionsDto {
  @ApiProperty({ description: 'Single use, valid WEBAUTHN_CHALLENGE_TTL_SECONDS (base64url)' })
  challenge!: string;

  @ApiPropertyOptional({ type: 'integer', description: 'Milliseconds' })
  timeout?: number;

  @ApiPropertyOptional({ example: 'app.insightsheet.io' })
  rpId?: string;

  @ApiPropertyOptional({
    type: CredentialDescriptorDto,
    isArray: true,
    description: 'Absent: any discoverable credential of this site may answer',
  })
  allowCredentials?: CredentialDescriptorDto[];

  @ApiPropertyOptional({ enum: ['discouraged', 'preferred', 'required'] })
  userVerification?: string;

  @ApiPropertyOptional({ type: String, isArray: true })
  hints?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  extensions?: object;
}
