import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../../config/app-config.js';
import { ActivityModule } from '../activity/activity.module.js';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccessAdministration } from './access-administration.service.js';
import { AccessStateService } from './access-state.service.js';
import { AccountController } from './account.controller.js';
import { AccountExportService } from './account-export.service.js';
import { AccountService } from './account.service.js';
import { AdminAccessController } from './admin-access.controller.js';
import { AuthMail } from './auth-mail.js';
import { AuthController } from './auth.controller.js';
import { EmailChange } from './email-change.service.js';
import { EmailCode } from './email-code.entity.js';
import { EmailCodesRepository } from './email-codes.repository.js';
import { EmailCodes } from './email-codes.service.js';
import { EmailController } from './email.controller.js';
import { EmailVerification } from './email-verification.service.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { LoginService } from './login.service.js';
import { CodeReauthenticator } from './mfa/code-reauthenticator.service.js';
import { MfaController } from './mfa/mfa.controller.js';
import { Identities } from './oidc/identities.service.js';
import { OidcClients } from './oidc/oidc-clients.service.js';
import { OidcFlow } from './oidc/oidc-flow.service.js';
import { IdentitiesController, OidcController } from './oidc/oidc.controller.js';
import { OidcState, UserIdentity } from './oidc/oidc.entities.js';
import { OidcRepository } from './oidc/oidc.repository.js';
import { SocialSignIn } from './oidc/social-sign-in.service.js';
import { MfaChallenge, RecoveryCode, UserTotp } from './mfa/mfa.entities.js';
import { MfaRepository } from './mfa/mfa.repository.js';
import { MfaSignIn } from './mfa/mfa-sign-in.service.js';
import { SecondFactorSessionGuard } from './mfa/second-factor-session.guard.js';
import { SecondFactors } from './mfa/second-factors.service.js';
import { TotpFactor } from './mfa/totp-factor.service.js';
import { PasswordResetToken } from './password-reset-token.entity.js';
import { PasswordResetRequests, PasswordResets } from './password-reset.service.js';
import { PasswordResetsRepository } from './password-resets.repository.js';
import { PasswordConfirmation } from './password-confirmation.service.js';
import { PasswordReauthenticator } from './password-reauthenticator.service.js';
import { PasswordService } from './password.service.js';
import { Passkey } from './passkeys/passkey.entity.js';
import { PasskeyAssertions } from './passkeys/passkey-assertions.service.js';
import { PasskeyLogin } from './passkeys/passkey-login.service.js';
import { PasskeyReauthenticator } from './passkeys/passkey-reauthenticator.service.js';
import { PasskeyRegistration } from './passkeys/passkey-registration.service.js';
import { PasskeysController } from './passkeys/passkeys.controller.js';
import { PasskeysRepository } from './passkeys/passkeys.repository.js';
import { PasskeysService } from './passkeys/passkeys.service.js';
import { WebAuthnChallenge } from './passkeys/webauthn-challenge.entity.js';
import { WebAuthnChallengesRepository } from './passkeys/webauthn-challenges.repository.js';
import { WebAuthnChallenges } from './passkeys/webauthn-challenges.service.js';
import {
  REAUTHENTICATORS,
  ReauthenticationService,
  type Reauthenticator,
} from './reauthentication.service.js';
import { RefreshToken } from './refresh-token.entity.js';
import { AccountCreation, RegistrationService } from './registration.service.js';
import { Session } from './session.entity.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsService } from './sessions.service.js';
import { SignInMethods } from './sign-in-methods.service.js';
import { SignInNotices } from './sign-in-notices.service.js';
import { UserDevicesRepository } from './user-devices.repository.js';
import { JwtStrategy } from './strategies/jwt.strategy.js';
import { TokenRevocation } from './token-revocation.service.js';
import { accessTokenKey, TokenService } from './token.service.js';
import { UserSessionsService } from './user-sessions.service.js';

/**
 * Who the caller is and what they may do: sign-in methods (the password, and passkeys in
 * passkeys/; each calls SessionsService.start), reauthentication (a Reauthenticator per
 * method, listed under REAUTHENTICATORS), sessions and their tokens, the access
 * state every request is checked against, and the one way to cut tokens off (TokenRevocation).
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      Session,
      RefreshToken,
      PasswordResetToken,
      EmailCode,
      UserTotp,
      RecoveryCode,
      MfaChallenge,
      UserIdentity,
      OidcState,
      Passkey,
      WebAuthnChallenge,
    ]),
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
    UsersModule,
    SubscriptionsModule,
    ActivityModule,
  ],
  controllers: [
    AuthController,
    SessionsController,
    AccountController,
    EmailController,
    MfaController,
    OidcController,
    IdentitiesController,
    PasskeysController,
    AdminAccessController,
  ],
  providers: [
    AccessStateService,
    TokenRevocation,
    TokenService,
    SessionsRepository,
    SessionsService,
    PasswordService,
    LoginThrottleService,
    LoginService,
    AccountCreation,
    RegistrationService,
    EmailCodesRepository,
    EmailCodes,
    EmailVerification,
    EmailChange,
    PasswordResetsRepository,
    PasswordResetRequests,
    PasswordResets,
    AuthMail,
    PasswordConfirmation,
    UserDevicesRepository,
    SignInNotices,
    UserSessionsService,
    MfaRepository,
    TotpFactor,
    SecondFactors,
    SecondFactorSessionGuard,
    OidcRepository,
    OidcClients,
    OidcFlow,
    SocialSignIn,
    Identities,
    MfaSignIn,
    WebAuthnChallengesRepository,
    WebAuthnChallenges,
    PasskeysRepository,
    PasskeyAssertions,
    PasskeyRegistration,
    PasskeysService,
    PasskeyLogin,
    SignInMethods,
    PasswordReauthenticator,
    CodeReauthenticator,
    PasskeyReauthenticator,
    // Each way of reauthenticating, by the field it reads (see ReauthenticationService).
    {
      provide: REAUTHENTICATORS,
      useFactory: (...methods: Reauthenticator[]): Reauthenticator[] => methods,
      inject: [PasswordReauthenticator, CodeReauthenticator, PasskeyReauthenticator],
    },
    ReauthenticationService,
    AccountService,
    AccountExportService,
    AccessAdministration,
    JwtStrategy,
  ],
  exports: [
    RegistrationService,
    SessionsService,
    AccessAdministration,
    PasswordService,
    PasskeyAssertions,
  ],
})
export class AuthModule {}
