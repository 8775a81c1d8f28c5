import { Body, Controller, Get, HttpCode, Module, Post, Query, Req } from '@nestjs/common';
import type { RawBodyRequest } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Max, Min, ValidateNested } from 'class-validator';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../src/common/auth/auth.decorators.js';

class ProbeTagDto {
  @IsString()
  @Length(1, 20)
  label!: string;
}

class ProbeEchoDto {
  @IsString()
  @Length(1, 50)
  name!: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10)
  count?: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => ProbeTagDto)
  tag?: ProbeTagDto;
}

class SlowQueryDto {
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(10_000)
  ms!: number;
}

/** Routes that exist only in tests, to exercise the shared request pipeline. */
@Public()
@Controller('probe')
class ProbeController {
  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: ProbeEchoDto): ProbeEchoDto {
    return body;
  }

  @Post('raw')
  @HttpCode(200)
  raw(@Req() request: RawBodyRequest<FastifyRequest>): { sha256: string } {
    return {
      sha256: createHash('sha256')
        .update(request.rawBody ?? '')
        .digest('hex'),
    };
  }

  @Get('boom')
  boom(): never {
    throw new Error('SELECT password_hash FROM users WHERE token = secret-token-123');
  }

  @Get('slow')
  async slow(@Query() query: SlowQueryDto): Promise<{ waited: number }> {
    await sleep(query.ms);
    return { waited: query.ms };
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}
