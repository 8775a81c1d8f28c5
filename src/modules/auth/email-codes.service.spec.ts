import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BadRequestException } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { ManualClock } from '../../../test/support/manual-clock.js';
import { createSpecDatabase, type SpecDatabase } from '../../../test/support/spec-database.js';
import { TooManyRequestsException } from '../../common/errors/too-many-requests.exception.js';
import { RateLimitStorage } from '../../common/rate-limit/rate-limit.storage.js';
import { loadConfig } from '../../config/app-config.js';
import { RedisService } from '../../redis/redis.service.js';
import { EmailCodesRepository } from './email-codes.repository.js';
import {
  EMAIL_CODE_MAX_FAILURES_PER_ADDRESS,
  EMAIL_CODE_MAX_FAILURES,
  EMAIL_CODE_TTL_SECONDS,
  EmailCodes,
} from './email-codes.service.js';

describe(EmailCodes.name, () => {
  let database: SpecDatabase;
  let codes: EmailCodes;
  const clock = new ManualClock();

  beforeAll(async () => {
    database = await createSpecDatabase();
    const config = loadConfig({
      NODE_ENV: 'test',
      JWT_SECRET: 'spec-secret-spec-secret-spec-secret-spec-secret-spec-secret-0123',
    });
    // The in-process rate-limit state (no REDIS_URL): the counting, not Redis, is under test.
    codes = new EmailCodes(
      database.dataSource,
      new EmailCodesRepository(database.dataSource),
      clock,
      new RateLimitStorage(new RedisService(config)),
      config,
    );
  });
  afterAll(() => database?.drop());

  const createUser = () => database.createUser();

  const otherThan = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  const accept = (email: string) => Promise.resolve(email);
  const refused = expect.any(BadRequestException);

  it('issues 6-digit codes that are used up once accepted', async () => {
    const user = await createUser();
    const code = await codes.issue(user.id, 'verify_email', user.email);
    expect(code).toMatch(/^[0-9]{6}$/);
    await expect(codes.consume(user.id, 'verify_email', code, accept)).resolves.toBe(user.email);
    await expect(codes.consume(user.id, 'verify_email', code, accept)).rejects.toEqual(refused);
  });

  it('refuses a code at its expiry, and accepts it one second before', async () => {
    const user = await createUser();
    const code = await codes.issue(user.id, 'verify_email', user.email);
    clock.advance(EMAIL_CODE_TTL_SECONDS * 1000 - 1000);
    const early = await codes.issue(user.id, 'change_email', 'new@example.com');
    await expect(codes.consume(user.id, 'verify_email', code, accept)).resolves.toBe(user.email);
    clock.advance(EMAIL_CODE_TTL_SECONDS * 1000);
    await expect(codes.consume(user.id, 'change_email', early, accept)).rejects.toEqual(refused);
  });

  it(`kills a code after ${EMAIL_CODE_MAX_FAILURES} wrong tries, counting each`, async () => {
    const user = await createUser();
    const code = await codes.issue(user.id, 'verify_email', user.email);
    for (let i = 0; i < EMAIL_CODE_MAX_FAILURES - 1; i++) {
      await expect(codes.consume(user.id, 'verify_email', otherThan(code), accept)).rejects.toEqual(
        refused,
      );
    }
    // Four wrong tries leave it usable ...
    await expect(codes.consume(user.id, 'verify_email', code, accept)).resolves.toBe(user.email);
    // ... and a fifth kills it, right code or not.
    const again = await codes.issue(user.id, 'verify_email', user.email);
    for (let i = 0; i < EMAIL_CODE_MAX_FAILURES; i++) {
      await expect(
        codes.consume(user.id, 'verify_email', otherThan(again), accept),
      ).rejects.toEqual(refused);
    }
    await expect(codes.consume(user.id, 'verify_email', again, accept)).rejects.toEqual(refused);
  });

  it('counts concurrent wrong guesses one by one: never more than the limit are checked', async () => {
    const user = await createUser();
    const code = await codes.issue(user.id, 'verify_email', user.email);
    const guesses = Array.from({ length: 20 }, (_, i) =>
      String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0'),
    );
    await Promise.allSettled(
      guesses.map((guess) => codes.consume(user.id, 'verify_email', guess, accept)),
    );
    const [row] = await database.dataSource.query<{ failed_attempts: number }[]>(
      `SELECT failed_attempts FROM email_codes WHERE user_id = $1`,
      [user.id],
    );
    expect(row.failed_attempts).toBe(EMAIL_CODE_MAX_FAILURES);
  });

  it('keeps a code for one purpose from working for the other, and a new code replaces the old', async () => {
    const user = await createUser();
    const verify = await codes.issue(user.id, 'verify_email', user.email);
    const change = await codes.issue(user.id, 'change_email', 'next@example.com');
    if (verify !== change) {
      await expect(codes.consume(user.id, 'change_email', verify, accept)).rejects.toEqual(refused);
    }
    const newer = await codes.issue(user.id, 'verify_email', user.email);
    if (newer !== verify) {
      await expect(codes.consume(user.id, 'verify_email', verify, accept)).rejects.toEqual(refused);
    }
    await expect(codes.consume(user.id, 'verify_email', newer, accept)).resolves.toBe(user.email);
    await expect(codes.consume(user.id, 'change_email', change, accept)).resolves.toBe(
      'next@example.com',
    );
  });

  it('leaves the code usable when the change it guards fails', async () => {
    const user = await createUser();
    const code = await codes.issue(user.id, 'change_email', 'taken@example.com');
    await expect(
      codes.consume(user.id, 'change_email', code, () => Promise.reject(new Error('taken'))),
    ).rejects.toThrow('taken');
    await expect(codes.consume(user.id, 'change_email', code, accept)).resolves.toBe(
      'taken@example.com',
    );
  });

  it(`refuses every try at codes for an address past ${EMAIL_CODE_MAX_FAILURES_PER_ADDRESS} wrong ones, across accounts`, async () => {
    const target = `target-${randomBytes(6).toString('hex')}@example.com`;
    const askers = await Promise.all([createUser(), createUser(), createUser()]);
    const issued = [];
    for (const asker of askers) issued.push(await codes.issue(asker.id, 'change_email', target));
    // Two accounts spend the address's budget, five wrong tries each (one right try between
    // does not count) ...
    for (const [index, asker] of askers.slice(0, 2).entries()) {
      for (let i = 0; i < EMAIL_CODE_MAX_FAILURES_PER_ADDRESS / 2; i++) {
        await expect(
          codes.consume(asker.id, 'change_email', otherThan(issued[index]), accept),
        ).rejects.toEqual(refused);
      }
    }
    // ... and the third account's right code is refused with 429.
    await expect(codes.consume(askers[2].id, 'change_email', issued[2], accept)).rejects.toEqual(
      expect.any(TooManyRequestsException),
    );
  });
});
