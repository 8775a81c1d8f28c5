import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../../config/app-config.js';
import { ActivityModule } from '../activity/activity.module.js';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccountController } from './account.controller.js';
import { AccountService } from './account.service.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { PasswordResetToken } from './password-reset-token.entity.js';
import { PasswordResetsRepository } from './password-resets.repository.js';
import { PasswordService } from './password.service.js';
import { RefreshToken } from './refresh-token.entity.js';
import { Session } from './session.entity.js';
import { SessionsModule } from './sessions.module.js';
import { SessionsRepository } from './sessions.repository.js';
import { JwtStrategy } from './strategies/jwt.strategy.js';
import { accessTokenKey, TokenService } from './token.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([Session, RefreshToken, PasswordResetToken]),
    PassportModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        secret: accessTokenKey(config),
        signOptions: {
          algorithm: 'HS256',
          expiresIn: config.jwt.accessTtlSeconds,
          issuer: config.auth.issuer,
          audience: config.auth.audience,
        },
        verifyOptions: {
          algorithms: ['HS256'],
          issuer: config.auth.issuer,
          audience: config.auth.audience,
        },
      }),
    }),
    SessionsModule,
    UsersModule,
    SubscriptionsModule,
    ActivityModule,
  ],
  controllers: [AuthController, AccountController],
  providers: [
    AuthService,
    AccountService,
    PasswordService,
    TokenService,
    SessionsRepository,
    PasswordResetsRepository,
    LoginThrottleService,
    JwtStrategy,
  ],
  exports: [AuthService, AccountService, PasswordService],
})
export class AuthModule {}
