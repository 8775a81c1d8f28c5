import { Controller, Get, Header, Headers, UnauthorizedException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { timingSafeEqual } from 'node:crypto';
import { ApiErrorResponse } from '../../common/openapi/api-error-response.decorator.js';
import { AppConfig } from '../../config/app-config.js';
import { Public } from '../../common/auth/auth.decorators.js';
import { MetricsService } from './metrics.service.js';

@ApiTags('operations')
@Public()
@SkipThrottle()
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  /** Prometheus text format; behind `Authorization: Bearer <METRICS_TOKEN>` when it is set. */
  @Get()
  @ApiOperation({ summary: 'Prometheus metrics, in its text format' })
  // With METRICS_TOKEN set the token is required; without it the route is open.
  @ApiSecurity('metricsToken')
  @ApiSecurity({})
  @ApiOkResponse({
    description: 'Prometheus text exposition format (version 0.0.4)',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @ApiErrorResponse(401, 'METRICS_TOKEN is set and the bearer token is missing or wrong')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(@Headers('authorization') authorization: string | undefined): Promise<string> {
    const token = this.config.metricsToken;
    if (token) {
      const given = Buffer.from(authorization ?? '');
      const expected = Buffer.from(`Bearer ${token}`);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new UnauthorizedException('A metrics token is required');
      }
    }
    return this.metrics.registry.metrics();
  }
}
