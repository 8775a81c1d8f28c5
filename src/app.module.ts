import { DynamicModule, Module, type Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { CacheModule } from './cache/cache.module.js';
import { EventsModule } from './common/events/events.module.js';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter.js';
import { LifecycleModule } from './common/lifecycle/lifecycle.module.js';
import { RateLimitModule } from './common/rate-limit/rate-limit.module.js';
import { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { Clock, ClockModule } from './common/time/clock.js';
import { DatabaseModule } from './database/database.module.js';
import { RecentWriteInterceptor } from './database/recent-write.interceptor.js';
import { MailModule } from './mail/mail.module.js';
import { ActivityModule } from './modules/activity/activity.module.js';
import { AuthModule } from './modules/auth/auth.module.js';
import { BillingModule } from './modules/billing/billing.module.js';
import { AccessGuard } from './modules/auth/guards/access.guard.js';
import { AuthenticationGuard } from './modules/auth/guards/authentication.guard.js';
import { AppThrottlerGuard } from './common/rate-limit/app-throttler.guard.js';
import { HealthModule } from './modules/health/health.module.js';
import { MetricsModule } from './modules/metrics/metrics.module.js';
import { SubscriptionsModule } from './modules/subscriptions/subscriptions.module.js';
import { UsersModule } from './modules/users/users.module.js';
import { WorkspacesModule } from './modules/workspaces/workspaces.module.js';
import { RedisModule } from './redis/redis.module.js';

@Module({})
export class AppModule {
  /**
   * The global guards, in the order they run: AuthenticationGuard identifies the caller from
   * a bearer token (never refusing), the rate limit counts every request (per user when
   * identified), AccessGuard refuses what needs an identity or a role.
   */
  static forRoot(config: AppConfig, extra: Type[] = [], clock?: Clock): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ClockModule.forRoot(clock),
        LifecycleModule,
        EventsModule,
        RedisModule,
        CacheModule,
        DatabaseModule,
        MetricsModule,
        MailModule,
        AuthModule,
        RateLimitModule,
        UsersModule,
        SubscriptionsModule,
        BillingModule,
        WorkspacesModule,
        ActivityModule,
        HealthModule,
        ...extra,
      ],
      providers: [
        { provide: APP_GUARD, useClass: AuthenticationGuard },
        // RATE_LIMIT_ENABLED=false (a gateway limits instead) leaves the guard out entirely.
        ...(config.rateLimit.enabled
          ? [{ provide: APP_GUARD, useExisting: AppThrottlerGuard }]
          : []),
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        ...(config.database.replicaUrls.length
          ? [{ provide: APP_INTERCEPTOR, useClass: RecentWriteInterceptor }]
          : []),
      ],
    };
  }
}
