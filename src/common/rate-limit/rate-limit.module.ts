import { Global, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../../config/app-config.js';
import { AppThrottlerGuard } from './app-throttler.guard.js';
import { RateLimitStorage } from './rate-limit.storage.js';

@Module({ providers: [RateLimitStorage], exports: [RateLimitStorage] })
class RateLimitStorageModule {}

/** The throttler on our storage; AppModule registers the guard among the global guards. */
@Global()
@Module({
  imports: [
    RateLimitStorageModule,
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [AppConfig, RateLimitStorage],
      useFactory: (config: AppConfig, storage: RateLimitStorage) => ({
        throttlers: [
          { name: 'default', ttl: config.rateLimit.windowMs, limit: config.rateLimit.max },
        ],
        storage,
        errorMessage: 'Too many requests, please retry later',
      }),
    }),
  ],
  providers: [AppThrottlerGuard],
  exports: [RateLimitStorageModule, AppThrottlerGuard],
})
export class RateLimitModule {}
