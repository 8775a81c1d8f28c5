import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';

export class OidcProviderDto {
  @ApiProperty({ example: 'google', description: 'The id used in /auth/oidc/:provider routes' })
  id!: string;

  @ApiProperty({ example: 'Google', description: 'What the sign-in button says' })
  name!: string;
}

export class OidcStartDto {
  @ApiProperty({
    description:
      "The web app's page the provider returns to (registered at the provider); must be under FRONTEND_URL",
    example: 'https://app.insightsheet.example/auth/callback/google',
    maxLength: 2048,
  })
  @IsString()
  @Length(1, 2048)
  redirectUri!: string;
}

export class OidcStartResponseDto {
  @ApiProperty({ description: "The provider's page to send the browser to" })
  authorizationUrl!: string;
}

/** The query of the provider's redirect to the web app, forwarded as is. */
export class OidcCallbackDto {
  @ApiProperty({ minLength: 1, maxLength: 2048 })
  @IsString()
  @Length(1, 2048)
  code!: string;

  @ApiProperty({ minLength: 1, maxLength: 512 })
  @IsString()
  @Length(1, 512)
  state!: string;

  @ApiPropertyOptional({
    description: 'The iss parameter of the redirect, when the provider sends one (RFC 9207)',
    maxLength: 2048,
  })
  @IsOptional()
  @IsString()
  @Length(1, 2048)
  iss?: string;
}

export class IdentityDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'google' })
  provider!: string;

  @ApiProperty({ example: 'Google' })
  providerName!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The address the provider gave at the last sign-in',
  })
  email!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastUsedAt!: Date | null;
}
