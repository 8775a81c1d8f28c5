import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Principal } from '../../common/auth/auth.decorators.js';
import type { BooleanFeature } from './plan-catalogue.js';
import { SubscriptionsService } from './subscriptions.service.js';

const REQUIRED_FEATURE = Symbol('required-feature');

/** 403 {error: "feature_not_in_plan"} unless the caller's plan includes the feature now. */
@Injectable()
export class RequiresFeatureGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly subscriptions: SubscriptionsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const feature = this.reflector.get<BooleanFeature>(REQUIRED_FEATURE, context.getHandler());
    const user = context.switchToHttp().getRequest<{ user?: Principal }>().user;
    if (!feature || !user) return true;
    const entitlements = await this.subscriptions.entitlements(user.id);
    if (!entitlements.features[feature]) {
      throw new ForbiddenException({
        error: 'feature_not_in_plan',
        message: `Your plan does not include ${feature}`,
      });
    }
    return true;
  }
}

export function RequiresFeature(feature: BooleanFeature): MethodDecorator {
  return applyDecorators(SetMetadata(REQUIRED_FEATURE, feature), UseGuards(RequiresFeatureGuard));
}
