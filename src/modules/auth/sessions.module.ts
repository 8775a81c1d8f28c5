import { Global, Module } from '@nestjs/common';
import { SessionRevocations } from '../users/access-state.service.js';
import { SessionsRepository } from './sessions.repository.js';

/**
 * Lends UsersModule's access state the revoked sessions through its SessionRevocations port:
 * global because UsersModule cannot import AuthModule, which imports it. Only the port is
 * exported, so the sessions table stays AuthModule's (the repository holds no state, so a
 * second instance of it here costs nothing).
 */
@Global()
@Module({
  providers: [{ provide: SessionRevocations, useClass: SessionsRepository }],
  exports: [SessionRevocations],
})
export class SessionsModule {}
