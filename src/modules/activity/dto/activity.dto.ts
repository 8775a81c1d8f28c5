import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDateString,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  Min,
  registerDecorator,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';
import { ACTIVITY_SOURCES, type ActivitySource } from '../activity-writer.js';

export const ACTION_PATTERN = /^[a-z][a-z0-9_.:-]{0,99}$/;
export const METADATA_MAX_BYTES = 4096;
export const METADATA_MAX_DEPTH = 5;
/** Action namespaces only the server records in: a client sending one gets 400. */
export const SERVER_NAMESPACES = [
  'auth.',
  'user.',
  'billing.',
  'subscription.',
  'workspace.',
  'admin.',
  'system.',
] as const;

function NotInServerNamespace(options?: ValidationOptions) {
  return (target: object, property: string) =>
    registerDecorator({
      name: 'notInServerNamespace',
      target: target.constructor,
      propertyName: property,
      options: {
        message: `${property} must not start with a server namespace (${SERVER_NAMESPACES.join(', ')})`,
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' &&
          !SERVER_NAMESPACES.some((prefix) => value.startsWith(prefix)),
      },
    });
}

function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + children.reduce<number>((deepest, child) => Math.max(deepest, depthOf(child)), 0);
}

/** A plain JSON object of at most 4 KB and bounded depth: never a file's content. */
function IsSmallJsonObject(options?: ValidationOptions) {
  return (target: object, property: string) =>
    registerDecorator({
      name: 'isSmallJsonObject',
      target: target.constructor,
      propertyName: property,
      options: {
        message: `${property} must be a JSON object of at most ${METADATA_MAX_BYTES} bytes and ${METADATA_MAX_DEPTH} levels`,
        ...options,
      },
      validator: {
        validate(value: unknown) {
          if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
          return (
            Buffer.byteLength(JSON.stringify(value), 'utf8') <= METADATA_MAX_BYTES &&
            depthOf(value) <= METADATA_MAX_DEPTH
          );
        },
      },
    });
}

export class ActivityEventDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'Chosen by the client so that a retry is safe: an event whose id was already sent is answered 202 again and stored once',
  })
  @IsOptional()
  @IsUUID()
  id?: string;

  @ApiProperty({
    example: 'sheet.analysed',
    pattern: ACTION_PATTERN.source,
    description: `Not in the server's namespaces (${SERVER_NAMESPACES.join(', ')})`,
  })
  @IsString()
  @Matches(ACTION_PATTERN, { message: 'action must match ^[a-z][a-z0-9_.:-]{0,99}$' })
  @NotInServerNamespace()
  action!: string;

  @ApiPropertyOptional({ example: 'sheet', maxLength: 100 })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  resource?: string;

  @ApiPropertyOptional({ example: 'local-7f3a', maxLength: 255 })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  resourceId?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'At most 4 KB, 5 levels; never file content',
  })
  @IsOptional()
  @IsSmallJsonObject()
  metadata?: Record<string, unknown>;
}

export class ActivityBatchDto {
  @ApiProperty({ type: ActivityEventDto, isArray: true, minItems: 1, maxItems: 100 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => ActivityEventDto)
  events!: ActivityEventDto[];
}

export class ActivityCursorQueryDto {
  @ApiPropertyOptional({
    description: 'nextCursor of the previous page',
    minLength: 1,
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', default: 50, minimum: 1, maximum: 200 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit: number = 50;
}

export class AdminActivityQueryDto extends ActivityCursorQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  userId?: string;

  @ApiPropertyOptional({ pattern: ACTION_PATTERN.source, example: 'sheet.analysed' })
  @IsOptional()
  @Matches(ACTION_PATTERN, { message: 'action must match ^[a-z][a-z0-9_.:-]{0,99}$' })
  action?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsDateString()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsDateString()
  to?: string;
}

export class ActivityItemDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  userId!: string | null;
  @ApiProperty()
  action!: string;
  @ApiProperty({ type: String, nullable: true })
  resource!: string | null;
  @ApiProperty({ type: String, nullable: true })
  resourceId!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  metadata!: Record<string, unknown> | null;
  @ApiProperty({
    enum: ACTIVITY_SOURCES,
    description: 'Who recorded the event: the web app or the server',
  })
  source!: ActivitySource;
  @ApiProperty({ type: String, nullable: true })
  ipAddress!: string | null;
  @ApiProperty({ type: String, nullable: true })
  userAgent!: string | null;
  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;
}

export class ActivityPageDto {
  @ApiProperty({ type: ActivityItemDto, isArray: true })
  items!: ActivityItemDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as ?cursor= for the next (older) page; null at the end',
  })
  nextCursor!: string | null;
}

export class AnalyticsQueryDto {
  @ApiPropertyOptional({
    example: '2026-10-01',
    description: 'First day (UTC), default 29 days before `to`',
  })
  @IsOptional()
  @IsDateString()
  from?: string;

  @ApiPropertyOptional({ example: '2026-10-30', description: 'Last day (UTC), default today' })
  @IsOptional()
  @IsDateString()
  to?: string;

  @ApiPropertyOptional({
    enum: ACTIVITY_SOURCES,
    description: "Top actions of one source only: the web app's or the server's",
  })
  @IsOptional()
  @IsIn(ACTIVITY_SOURCES)
  source?: ActivitySource;
}

export class ActivityBatchAcceptedDto {
  @ApiProperty({ type: 'integer', description: 'Events accepted (all of the batch)' })
  accepted!: number;
}

class AnalyticsRangeDto {
  @ApiProperty({ format: 'date', example: '2026-10-01' })
  from!: string;
  @ApiProperty({ format: 'date', example: '2026-10-30' })
  to!: string;
}

class AnalyticsUsersDto {
  @ApiProperty({ type: 'integer' })
  total!: number;
  @ApiProperty({ type: 'integer', description: 'Signed up in the range' })
  new!: number;
}

class ActiveUsersDto {
  @ApiProperty({ type: 'integer', description: 'Active on `to`' })
  dau!: number;
  @ApiProperty({ type: 'integer', description: 'Active in the 7 days up to `to`' })
  wau!: number;
  @ApiProperty({ type: 'integer', description: 'Active in the 30 days up to `to`' })
  mau!: number;
}

class ActiveUsersOnDayDto {
  @ApiProperty({ format: 'date', example: '2026-11-28' })
  day!: string;
  @ApiProperty({ type: 'integer', description: 'Active on the day' })
  dau!: number;
  @ApiProperty({ type: 'integer', description: 'Active in the 7 days up to the day' })
  wau!: number;
  @ApiProperty({ type: 'integer', description: 'Active in the 30 days up to the day' })
  mau!: number;
}

class PlanMixDto {
  @ApiProperty({ example: 'pro' })
  plan!: string;
  @ApiProperty({ type: 'integer' })
  users!: number;
}

class SignupsPerDayDto {
  @ApiProperty({ format: 'date' })
  day!: string;
  @ApiProperty({ type: 'integer' })
  signups!: number;
}

class TopActionDto {
  @ApiProperty()
  action!: string;
  @ApiProperty({ enum: ACTIVITY_SOURCES })
  source!: ActivitySource;
  @ApiProperty({ type: 'integer' })
  events!: number;
}

export class AnalyticsOverviewDto {
  @ApiProperty({ type: AnalyticsRangeDto, description: 'The UTC days counted, inclusive' })
  range!: AnalyticsRangeDto;
  @ApiProperty({ type: AnalyticsUsersDto })
  users!: AnalyticsUsersDto;
  @ApiProperty({ type: ActiveUsersDto, description: 'As of `to`' })
  activeUsers!: ActiveUsersDto;
  @ApiProperty({
    type: ActiveUsersOnDayDto,
    isArray: true,
    description:
      'DAU, WAU and MAU for each day of the range whose counts are settled and stored ' +
      '(`activity:maintain` stores them once a day has settled), oldest first, and for `to`',
  })
  activeUsersPerDay!: ActiveUsersOnDayDto[];
  @ApiProperty({ type: PlanMixDto, isArray: true })
  planMix!: PlanMixDto[];
  @ApiProperty({ type: SignupsPerDayDto, isArray: true })
  signupsPerDay!: SignupsPerDayDto[];
  @ApiProperty({ type: TopActionDto, isArray: true })
  topActions!: TopActionDto[];
}
