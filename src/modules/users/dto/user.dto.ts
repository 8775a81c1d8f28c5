import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  ValidateIf,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { SubscriptionSummaryDto } from '../../subscriptions/dto/subscription.dto.js';
import type { User } from '../user.entity.js';

/** The public view of a user: never a password hash or any token. */
export class UserDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'email' })
  email!: string;

  @ApiProperty({ description: 'Whether the owner has proven they hold the email address' })
  emailVerified!: boolean;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: ['user', 'admin'] })
  role!: string;

  @ApiProperty()
  isActive!: boolean;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastLogin!: Date | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({ type: SubscriptionSummaryDto, nullable: true })
  subscription!: SubscriptionSummaryDto | null;

  static from(user: User, subscription: SubscriptionSummaryDto | null): UserDto {
    return { ...UserDto.account(user), subscription };
  }

  /** The user's own fields: what the profile cache holds (the subscription is cached apart). */
  static account(user: User): Omit<UserDto, 'subscription'> {
    return {
      id: user.id,
      email: user.email,
      emailVerified: user.emailVerifiedAt !== null,
      name: user.name,
      role: user.role,
      isActive: user.isActive,
      lastLogin: user.lastLogin,
      createdAt: user.createdAt,
    };
  }
}

export class UpdateProfileDto {
  @ApiProperty({ example: 'Ada Lovelace', minLength: 1, maxLength: 100 })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 100)
  name!: string;
}

export class AdminUserQueryDto {
  @ApiPropertyOptional({ description: 'Part of an email or name', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  search?: string;

  @ApiPropertyOptional({ enum: ['user', 'admin'] })
  @IsOptional()
  @IsIn(['user', 'admin'])
  role?: 'user' | 'admin';

  @ApiPropertyOptional({ enum: ['free', 'pro', 'business'] })
  @IsOptional()
  @IsIn(['free', 'pro', 'business'])
  plan?: 'free' | 'pro' | 'business';

  @ApiPropertyOptional({ type: 'integer', default: 1, minimum: 1, maximum: 100_000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100_000)
  page: number = 1;

  @ApiPropertyOptional({ type: 'integer', default: 20, minimum: 1, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;
}

export class AdminUserListDto {
  @ApiProperty({ type: UserDto, isArray: true })
  items!: UserDto[];

  @ApiProperty({ type: 'integer' })
  total!: number;

  @ApiProperty({ type: 'integer' })
  page!: number;

  @ApiProperty({ type: 'integer' })
  limit!: number;
}

export class AdminUpdateUserDto {
  @ApiPropertyOptional({ enum: ['user', 'admin'] })
  @ValidateIf((_dto, value) => value !== undefined)
  @IsIn(['user', 'admin'])
  role?: 'user' | 'admin';

  @ApiPropertyOptional()
  @ValidateIf((_dto, value) => value !== undefined)
  @IsBoolean()
  isActive?: boolean;
}
