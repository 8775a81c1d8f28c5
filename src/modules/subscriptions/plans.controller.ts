import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PlanDto } from './dto/plan.dto.js';
import { PlansService } from './plans.service.js';
import { Public } from '../../common/auth/auth.decorators.js';

@ApiTags('plans')
@Public()
@Controller('plans')
export class PlansController {
  constructor(private readonly plans: PlansService) {}

  @Get()
  @Header('cache-control', 'public, max-age=300, stale-while-revalidate=60')
  @ApiOperation({ summary: 'The public plan catalogue' })
  @ApiOkResponse({ type: PlanDto, isArray: true, description: 'The public plan catalogue' })
  list(): PlanDto[] {
    return this.plans.list();
  }
}
