import { DynamicModule, Module, type Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { CacheModule } from './cache/cache.module.js';
import { EventsModule } from './common/events/events.module.js';
import { AllExceptionsFilter } from './common/filters/all-exceptions.filter.js';
import { LifecycleModule } from './common/lifecycle/lifecycle.module.js';
import { RateLimitModule } from './common/rate-limit/rate-limit.module.js';
import { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { MailModule } from './mail/mail.module.js';
import { ActivityModule } from './modules/activity/activity.module.js';
import { AuthModule } from './modules/auth/auth.module.js';
import { AccessGuard } from './modules/auth/guards/access.guard.js';
import { HealthModule } from './modules/health/health.module.js';
import { SubscriptionsModule } from './modules/subscriptions/subscriptions.module.js';
import { UsersModule } from './modules/users/users.module.js';
import { RedisModule } from './redis/redis.module.js';

@Module({})
export class AppModule {
  /**
   * Global guards run in registration order: AuthenticationGuard (AuthModule) identifies the
   * caller, the rate limit (RateLimitModule) counts them, AccessGuard (here) refuses what
   * needs an identity or a role.
   */
  static forRoot(config: AppConfig, extra: Type[] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LifecycleModule,
        EventsModule,
        RedisModule,
        CacheModule,
        DatabaseModule,
        MailModule,
        AuthModule,
        RateLimitModule.forRoot(config),
        UsersModule,
        SubscriptionsModule,
        ActivityModule,
        HealthModule,
        ...extra,
      ],
      providers: [
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
      ],
    };
  }
}
