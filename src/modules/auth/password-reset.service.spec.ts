import type { JobHandler } from '../../mail/job-queue.js';
import { describe, expect, it } from '@jest/globals';
import type { EntityManager } from 'typeorm';
import type { EventPublisher } from '../../common/events/event-publisher.service.js';
import { loadConfig } from '../../config/app-config.js';
import type { JobQueue } from '../../mail/job-queue.js';
import type { UsersService } from '../users/users.service.js';
import type { AuthMail } from './auth-mail.js';
import { PASSWORD_RESET_REQUESTS, PasswordResetRequests } from './password-reset.service.js';
import type { PasswordResetsRepository } from './password-resets.repository.js';

const meta = { ip: '192.0.2.1', userAgent: 'spec/1' };
const ACTIVE = { id: 'u-1', email: 'ada@example.com', isActive: true };

/** Records what the service asks of the queue, the repository, the mail and the events. */
function fakes(users: Record<string, { id: string; email: string; isActive: boolean }> = {}) {
  const calls: string[] = [];
  const transaction = { name: 'the token transaction' } as unknown as EntityManager;
  const queued: { queue: string; data: unknown }[] = [];
  const handlers = new Map<string, JobHandler<never>>();
  const mailed: { to: string; token: string; manager: EntityManager }[] = [];
  const jobs = {
    send: async (queue: string, data: unknown) => {
      calls.push('send job');
      queued.push({ queue, data });
      return 'job-1';
    },
    wake: () => calls.push('wake job'),
    work: (queue: string, handler: JobHandler<never>) => handlers.set(queue, handler),
  } as unknown as JobQueue;
  const usersService = {
    findByEmail: async (email: string) => {
      calls.push('lookup');
      return users[email] ?? null;
    },
  } as unknown as UsersService;
  const resets = {
    replace: async (
      _userId: string,
      _hash: Buffer,
      _ttl: number,
      within: (manager: EntityManager) => Promise<void>,
    ) => {
      calls.push('begin');
      await within(transaction);
      calls.push('commit');
    },
  } as unknown as PasswordResetsRepository;
  let available = true;
  const mail = {
    get available() {
      return available;
    },
    passwordReset: async (to: string, token: string, manager: EntityManager) => {
      calls.push('queue mail');
      mailed.push({ to, token, manager });
    },
    wake: () => calls.push('wake mail'),
  } as unknown as AuthMail;
  const events = { publish: () => calls.push('event') } as unknown as EventPublisher;
  const service = new PasswordResetRequests(
    usersService,
    resets,
    mail,
    events,
    loadConfig({ NODE_ENV: 'test' }),
    jobs,
  );
  service.onModuleInit();
  return {
    service,
    calls,
    queued,
    mailed,
    transaction,
    handler: handlers.get(PASSWORD_RESET_REQUESTS),
    withoutMail: () => (available = false),
  };
}

const job = (id: string) => ({ id, retryCount: 0, retryLimit: 8 });

describe(PasswordResetRequests.name, () => {
  it('issues the same link when a request is carried out again, another for another request', async () => {
    const { handler, mailed } = fakes({ [ACTIVE.email]: ACTIVE });
    await handler!({ email: ACTIVE.email, meta } as never, job('request-1'));
    await handler!({ email: ACTIVE.email, meta } as never, job('request-1'));
    await handler!({ email: ACTIVE.email, meta } as never, job('request-2'));
    const [first, retried, other] = mailed.map((mail) => mail.token);
    expect(retried).toBe(first);
    expect(other).not.toBe(first);
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('answers after queuing the request, the same work whether or not the account exists', async () => {
    const known = fakes({ [ACTIVE.email]: ACTIVE });
    const unknown = fakes();
    await known.service.request(ACTIVE.email, meta);
    await unknown.service.request('nobody@example.com', meta);
    expect(known.calls).toEqual(['send job', 'wake job']);
    expect(unknown.calls).toEqual(known.calls);
    expect(known.queued).toEqual([
      { queue: PASSWORD_RESET_REQUESTS, data: { email: ACTIVE.email, meta } },
    ]);
  });

  it('queues nothing when this instance cannot send mail', async () => {
    const { service, calls, withoutMail } = fakes({ [ACTIVE.email]: ACTIVE });
    withoutMail();
    await service.request(ACTIVE.email, meta);
    expect(calls).toEqual([]);
  });

  it('carries out a queued request: the token and its mail in one transaction, then the event', async () => {
    const { handler, calls, mailed, transaction } = fakes({ [ACTIVE.email]: ACTIVE });
    await handler!({ email: ACTIVE.email, meta } as never, job('request-1'));
    expect(calls).toEqual(['lookup', 'begin', 'queue mail', 'commit', 'wake mail', 'event']);
    expect(mailed).toEqual([{ to: ACTIVE.email, token: expect.any(String), manager: transaction }]);
  });

  it('does nothing for an unknown or deactivated account', async () => {
    const inactive = { ...ACTIVE, email: 'off@example.com', isActive: false };
    const { handler, calls } = fakes({ [inactive.email]: inactive });
    await handler!({ email: 'nobody@example.com', meta } as never, job('request-1'));
    await handler!({ email: inactive.email, meta } as never, job('request-2'));
    expect(calls).toEqual(['lookup', 'lookup']);
  });
});
