import { Controller, Get } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { ErrorBodyDto } from '../../common/openapi/error-body.dto.js';
import { HealthService } from './health.service.js';
import { Public } from '../../common/auth/auth.decorators.js';

const indicators = {
  type: 'object' as const,
  additionalProperties: {
    type: 'object' as const,
    required: ['status'],
    properties: { status: { type: 'string' as const, enum: ['up', 'down'] } },
    additionalProperties: true,
  },
};

/** Terminus's report: per check (lifecycle, database, redis, replicas) its status and detail. */
function report(statuses: string[]) {
  return {
    type: 'object' as const,
    required: ['status', 'details'],
    properties: {
      status: { type: 'string' as const, enum: statuses },
      info: { ...indicators, nullable: true },
      error: { ...indicators, nullable: true },
      details: indicators,
    },
  };
}

const READY = {
  description: 'PostgreSQL (and Redis, where configured) answer',
  schema: report(['ok']),
};
const NOT_READY = {
  description:
    'A dependency is down, or the instance is shutting down: the report says which check failed',
  schema: {
    oneOf: [
      {
        ...report(['error', 'shutting_down']),
        properties: {
          ...report(['error', 'shutting_down']).properties,
          requestId: { type: 'string' as const },
        },
      },
      { $ref: getSchemaPath(ErrorBodyDto) },
    ],
  },
};

@ApiTags('health')
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({ summary: 'Ready to serve: its dependencies answer' })
  @ApiOkResponse(READY)
  @ApiServiceUnavailableResponse(NOT_READY)
  ready(): Promise<HealthCheckResult> {
    return this.health.readiness();
  }

  /** The load balancer's target-group check: the same as /health/ready. */
  @Get()
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({ summary: "The load balancer's check: the same as /health/ready" })
  @ApiOkResponse(READY)
  @ApiServiceUnavailableResponse(NOT_READY)
  check(): Promise<HealthCheckResult> {
    return this.health.readiness();
  }
}
