import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config.js';
import type { PlanDto } from './dto/plan.dto.js';
import { PLAN_IDS, PLANS, stripePriceId, type BillingInterval } from './plan-catalogue.js';

@Injectable()
export class PlansService {
  private readonly catalogue: PlanDto[];

  constructor(config: AppConfig) {
    const price = (plan: (typeof PLAN_IDS)[number], interval: BillingInterval) => ({
      amount: PLANS[plan].amounts[interval],
      currency: 'usd',
      available: plan === 'free' || stripePriceId(config, plan, interval) !== undefined,
    });
    // Built once: the catalogue only changes with a deployment.
    this.catalogue = PLAN_IDS.map((id) => ({
      id,
      name: PLANS[id].name,
      features: PLANS[id].features,
      limits: PLANS[id].limits,
      prices: { month: price(id, 'month'), year: price(id, 'year') },
    }));
  }

  list(): PlanDto[] {
    return this.catalogue;
  }
}
