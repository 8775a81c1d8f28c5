import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSpecDatabase, type SpecDatabase } from '../../../test/support/spec-database.js';
import { UsageRepository } from './usage.repository.js';

const TODAY = new Date('2031-03-14T00:00:00Z');
const TOMORROW = new Date('2031-03-15T00:00:00Z');

describe(UsageRepository.name, () => {
  let database: SpecDatabase;
  let usage: UsageRepository;

  beforeAll(async () => {
    database = await createSpecDatabase();
    usage = new UsageRepository(database.dataSource);
  });
  afterAll(() => database?.drop());

  const createUser = async (): Promise<string> => (await database.createUser()).id;

  it('lets exactly `limit` of many concurrent consumes through', async () => {
    const userId = await createUser();
    const limit = 7;
    const results = await Promise.all(
      Array.from({ length: 25 }, () => usage.consume(userId, 'export', TODAY, limit)),
    );
    const granted = results.filter((used) => used !== undefined);
    expect(granted.sort((a, b) => a! - b!)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(results.filter((used) => used === undefined)).toHaveLength(25 - limit);
    expect((await usage.usedIn(userId, TODAY)).get('export')).toBe(limit);
  });

  it('counts without a bound when the limit is null', async () => {
    const userId = await createUser();
    const results = await Promise.all(
      Array.from({ length: 30 }, () => usage.consume(userId, 'export', TODAY, null)),
    );
    expect(results.every((used) => used !== undefined)).toBe(true);
    expect((await usage.usedIn(userId, TODAY)).get('export')).toBe(30);
  });

  it('refuses every consume when the limit is 0, and stores no counter', async () => {
    const userId = await createUser();
    expect(await usage.consume(userId, 'export', TODAY, 0)).toBeUndefined();
    expect((await usage.usedIn(userId, TODAY)).size).toBe(0);
  });

  it("starts a new day's period at zero, and keeps the old one", async () => {
    const userId = await createUser();
    for (let i = 0; i < 3; i++) await usage.consume(userId, 'export', TODAY, 3);
    expect(await usage.consume(userId, 'export', TODAY, 3)).toBeUndefined();
    expect(await usage.consume(userId, 'export', TOMORROW, 3)).toBe(1);
    expect((await usage.usedIn(userId, TODAY)).get('export')).toBe(3);
    expect((await usage.usedIn(userId, TOMORROW)).get('export')).toBe(1);
  });

  it('counts each feature and each user on its own', async () => {
    const [one, other] = [await createUser(), await createUser()];
    await usage.consume(one, 'export', TODAY, 1);
    expect(await usage.consume(one, 'share', TODAY, 1)).toBe(1);
    expect(await usage.consume(other, 'export', TODAY, 1)).toBe(1);
    expect(await usage.usedIn(one, TODAY)).toEqual(
      new Map([
        ['export', 1],
        ['share', 1],
      ]),
    );
  });
});
