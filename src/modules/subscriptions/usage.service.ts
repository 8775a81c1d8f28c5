import {
  ForbiddenException,
  HttpException,
  HttpStatus,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { Clock } from '../../common/time/clock.js';
import { METERED_FEATURES, type MeteredFeature } from './plan-catalogue.js';
import { SubscriptionsService } from './subscriptions.service.js';
import { UsageRepository } from './usage.repository.js';

export interface UsageCounter {
  feature: string;
  used: number;
  /** null: unlimited. */
  limit: number | null;
  remaining: number | null;
  resetsAt: Date;
}

/** Daily periods in UTC. */
function period(now: Date): { start: Date; end: Date } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  return { start, end: new Date(start.getTime() + 86_400_000) };
}

export class QuotaExceededException extends HttpException {
  constructor(counter: UsageCounter) {
    super(
      {
        error: 'quota_exceeded',
        message: `The ${counter.feature} limit of your plan (${counter.limit} a day) is reached; it resets at ${counter.resetsAt.toISOString()}`,
      },
      HttpStatus.PAYMENT_REQUIRED,
    );
  }
}

@Injectable()
export class UsageService {
  constructor(
    private readonly usage: UsageRepository,
    private readonly subscriptions: SubscriptionsService,
    private readonly clock: Clock,
  ) {}

  async list(userId: string): Promise<UsageCounter[]> {
    const entitlements = await this.subscriptions.entitlements(userId);
    const { start, end } = period(this.clock.now());
    const used = await this.usage.usedIn(userId, start);
    return (Object.keys(METERED_FEATURES) as MeteredFeature[]).map((feature) => {
      const limit = entitlements.limits[METERED_FEATURES[feature].limit];
      const count = used.get(feature) ?? 0;
      return {
        feature,
        used: count,
        limit,
        remaining: limit === null ? null : Math.max(0, limit - count),
        resetsAt: end,
      };
    });
  }

  async consume(userId: string, feature: string): Promise<UsageCounter> {
    if (!Object.hasOwn(METERED_FEATURES, feature))
      throw new NotFoundException(`Unknown metered feature "${feature}"`);
    const meter = METERED_FEATURES[feature as MeteredFeature];
    const entitlements = await this.subscriptions.entitlements(userId);
    if (meter.requires && !entitlements.features[meter.requires]) {
      throw new ForbiddenException({
        error: 'feature_not_in_plan',
        message: `Your plan does not include ${meter.requires}`,
      });
    }
    const limit = entitlements.limits[meter.limit];
    const { start, end } = period(this.clock.now());
    const used = await this.usage.consume(userId, feature, start, limit);
    if (used === undefined) {
      throw new QuotaExceededException({
        feature,
        used: limit ?? 0,
        limit,
        remaining: 0,
        resetsAt: end,
      });
    }
    return { feature, used, limit, remaining: limit === null ? null : limit - used, resetsAt: end };
  }
}
