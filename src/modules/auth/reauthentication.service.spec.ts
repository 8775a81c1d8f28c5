import { describe, expect, it } from '@jest/globals';
import { BadRequestException, UnauthorizedException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Principal } from '../../common/auth/auth.decorators.js';
import type { RequestMeta } from '../../common/events/domain-events.js';
import type { EventPublisher } from '../../common/events/event-publisher.service.js';
import type { ReauthenticateDto } from './dto/auth.dto.js';
import {
  ReauthenticationService,
  type ReauthenticationMethod,
  type Reauthenticator,
} from './reauthentication.service.js';
import type { Proof, SessionsService } from './sessions.service.js';

/** A method that accepts one secret and reports whether it is a second factor. */
class FakeReauthenticator implements Reauthenticator {
  readonly verified: ReauthenticateDto[] = [];
  constructor(
    readonly method: ReauthenticationMethod,
    private readonly secret: string,
    private readonly amr: Proof['amr'] = ['pwd'],
  ) {}

  async verify(_principal: Principal, input: ReauthenticateDto): Promise<Proof> {
    this.verified.push(input);
    if (input[this.method] !== this.secret) throw new UnauthorizedException('wrong');
    return { amr: this.amr };
  }
}

class FakeSessions implements Pick<SessionsService, 'renew'> {
  readonly renewed: { principal: Principal; proof: Proof }[] = [];
  async renew(principal: Principal, _meta: RequestMeta, proof: Proof) {
    this.renewed.push({ principal, proof });
    return { accessToken: 'access', refreshToken: 'refresh', expiresIn: 900 };
  }
}

const meta = { ip: '203.0.113.7', userAgent: 'spec/1' };

function setUp(...reauthenticators: Reauthenticator[]) {
  const sessions = new FakeSessions();
  const published: unknown[][] = [];
  const events = { publish: (...args: unknown[]) => published.push(args) };
  const service = new ReauthenticationService(
    reauthenticators,
    sessions as unknown as SessionsService,
    events as unknown as EventPublisher,
  );
  const principal: Principal = {
    id: randomUUID(),
    role: 'user',
    sessionId: randomUUID(),
    authTime: null,
    amr: ['pwd'],
  };
  return { service, sessions, published, principal };
}

describe(ReauthenticationService.name, () => {
  it('renews the session when the method given proves the user', async () => {
    const password = new FakeReauthenticator('password', 'right');
    const { service, sessions, published, principal } = setUp(password);

    const tokens = await service.reauthenticate(principal, { password: 'right' }, meta);

    expect(tokens.accessToken).toBe('access');
    expect(sessions.renewed).toEqual([{ principal, proof: { amr: ['pwd'] } }]);
    expect(published).toEqual([
      ['auth.reauthenticated', principal.id, meta, { method: 'password' }],
    ]);
  });

  it('renews nothing when the proof is wrong', async () => {
    const { service, sessions, published, principal } = setUp(
      new FakeReauthenticator('password', 'right'),
    );
    await expect(service.reauthenticate(principal, { password: 'wrong' }, meta)).rejects.toThrow(
      UnauthorizedException,
    );
    expect(sessions.renewed).toEqual([]);
    expect(published).toEqual([]);
  });

  it('passes on what a second factor reports, for the session to record', async () => {
    const totp = new FakeReauthenticator('code', '123456', ['otp', 'mfa']);
    const { service, sessions, principal } = setUp(
      new FakeReauthenticator('password', 'right'),
      totp,
    );
    await service.reauthenticate(principal, { code: '123456' }, meta);
    expect(sessions.renewed[0].proof).toEqual({ amr: ['otp', 'mfa'] });
  });

  it.each([
    ['a TOTP or recovery code', { code: '123456' }, /TOTP or recovery code is not available/],
    ['a passkey', { webauthn: { id: 'credential' } }, /passkey is not available yet/],
  ])('answers 400 to %s when no such method is provided', async (_name, input, message) => {
    const password = new FakeReauthenticator('password', 'right');
    const { service, sessions, principal } = setUp(password);
    const attempt = service.reauthenticate(principal, input as ReauthenticateDto, meta);
    await expect(attempt).rejects.toThrow(BadRequestException);
    await expect(attempt).rejects.toThrow(message);
    expect(password.verified).toEqual([]);
    expect(sessions.renewed).toEqual([]);
  });

  it.each([
    ['no method', {}],
    ['two methods', { password: 'right', code: '123456' }],
  ])('answers 400 to %s', async (_name, input) => {
    const password = new FakeReauthenticator('password', 'right');
    const { service, principal } = setUp(password);
    await expect(
      service.reauthenticate(principal, input as ReauthenticateDto, meta),
    ).rejects.toThrow('Send exactly one of password, code or webauthn');
    expect(password.verified).toEqual([]);
  });
});
