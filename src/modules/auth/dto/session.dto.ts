import { ApiProperty } from '@nestjs/swagger';
import type { Device } from '../device.js';

export class DeviceDto implements Device {
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'Chrome 120',
    description: 'Browser name and major version, from the user agent; null when unknown',
  })
  browser!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'macOS 10.15.7',
    description: 'Operating system and version, from the user agent; null when unknown',
  })
  os!: string | null;
}

export class SessionDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ description: 'The session of the access token this list was asked with' })
  current!: boolean;

  @ApiProperty({ type: String, format: 'date-time', description: 'When the user signed in' })
  createdAt!: Date;

  @ApiProperty({
    type: String,
    format: 'date-time',
    description: 'The last sign-in, refresh or reauthentication in this session',
  })
  lastUsedAt!: Date;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '203.0.113.7',
    description: 'Client address at the last use',
  })
  ip!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'User agent at the last use' })
  userAgent!: string | null;

  @ApiProperty({ type: DeviceDto })
  device!: DeviceDto;

  @ApiProperty({ description: 'Whether a second factor was used to establish the session' })
  mfa!: boolean;
}
