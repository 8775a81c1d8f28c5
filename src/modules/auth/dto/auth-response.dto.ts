import { ApiProperty } from '@nestjs/swagger';
import { UserDto } from '../../users/dto/user.dto.js';

export class TokenPairDto {
  @ApiProperty({ description: 'Short-lived JWT for the Authorization: Bearer header' })
  accessToken!: string;

  @ApiProperty({ description: 'Opaque token for POST /auth/refresh; rotated on every use' })
  refreshToken!: string;

  @ApiProperty({
    type: 'integer',
    description: 'Seconds until the access token expires',
    example: 900,
  })
  expiresIn!: number;
}

export class AuthResponseDto extends TokenPairDto {
  @ApiProperty({ type: UserDto })
  user!: UserDto;
}

export class AcceptedDto {
  @ApiProperty({ example: 'If an account exists for this email, a reset link has been sent' })
  message!: string;
}

/** The password was right, and two-step verification is on: no tokens yet. */
export class MfaRequiredDto {
  @ApiProperty({ enum: [true], example: true })
  mfaRequired!: true;

  @ApiProperty({
    description:
      'For POST /auth/mfa/verify from the same client: single use, 5 minutes, ended by 5 wrong codes',
  })
  mfaToken!: string;

  @ApiProperty({
    description: 'The second factors this account can use',
    enum: ['totp', 'recovery_code', 'webauthn'],
    isArray: true,
    example: ['totp', 'recovery_code'],
  })
  methods!: ('totp' | 'recovery_code' | 'webauthn')[];

  @ApiProperty({ type: 'integer', description: 'Seconds until the mfaToken expires', example: 300 })
  expiresIn!: number;
}
