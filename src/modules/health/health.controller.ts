import { Controller, Get } from '@nestjs/common';
import { ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { HealthService } from './health.service.js';
import { Public } from '../auth/decorators/auth.decorators.js';

@ApiTags('health')
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('ready')
  @HealthCheck()
  @ApiServiceUnavailableResponse({
    description: 'A dependency is down, or the instance is shutting down',
  })
  ready(): Promise<HealthCheckResult> {
    return this.health.readiness();
  }

  /** The load balancer's target-group check: the same as /health/ready. */
  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.readiness();
  }
}
