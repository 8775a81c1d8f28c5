import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../../config/app-config.js';
import { AppThrottlerGuard } from './app-throttler.guard.js';
import { RateLimitStorage } from './rate-limit.storage.js';

@Module({ providers: [RateLimitStorage], exports: [RateLimitStorage] })
class RateLimitStorageModule {}

@Global()
@Module({})
export class RateLimitModule {
  /** RATE_LIMIT_ENABLED=false (an upstream gateway limits instead) leaves the guard out entirely. */
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: RateLimitModule,
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
            // One budget per client across all routes (the storage adds the throttler's name).
            generateKey: (_context, tracker) => tracker,
          }),
        }),
      ],
      providers: config.rateLimit.enabled
        ? [{ provide: APP_GUARD, useClass: AppThrottlerGuard }]
        : [],
      exports: [RateLimitStorageModule],
    };
  }
}
