import { DynamicModule, Module, type Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CacheModule } from './cache/cache.module.js';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter.js';
import { LifecycleModule } from './common/lifecycle/lifecycle.module.js';
import { RateLimitModule } from './common/rate-limit/rate-limit.module.js';
import { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './modules/health/health.module.js';
import { RedisModule } from './redis/redis.module.js';
import { SubscriptionsModule } from './modules/subscriptions/subscriptions.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, extra: Type[] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LifecycleModule,
        RedisModule,
        CacheModule,
        DatabaseModule,
        RateLimitModule.forRoot(config),
        HealthModule,
        SubscriptionsModule,
        ...extra,
      ],
      providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }],
    };
  }
}
