import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createSpecDatabase, type SpecDatabase } from '../../../test/support/spec-database.js';
import { Subscription } from './subscription.entity.js';
import { SubscriptionsRepository } from './subscriptions.repository.js';

describe(SubscriptionsRepository.name, () => {
  let database: SpecDatabase;
  let subscriptions: SubscriptionsRepository;

  beforeAll(async () => {
    database = await createSpecDatabase();
    subscriptions = new SubscriptionsRepository(database.dataSource.getRepository(Subscription));
  });
  afterAll(() => database?.drop());

  const createWorkspace = async (): Promise<string> => {
    const [{ id }] = await database.dataSource.query<{ id: string }[]>(
      `INSERT INTO workspaces (name) VALUES ('Spec') RETURNING id`,
    );
    return id;
  };

  it("creates a workspace's row once for concurrent first uses", async () => {
    const workspaceId = await createWorkspace();
    const rows = await Promise.all(
      Array.from({ length: 10 }, () => subscriptions.findOrCreateForWorkspace(workspaceId)),
    );
    expect(new Set(rows.map((row) => row!.id)).size).toBe(1);
    expect(rows[0]).toMatchObject({ workspaceId, userId: null, plan: 'free', status: 'active' });
  });

  it('answers null, not an error, for a workspace that is gone', async () => {
    expect(await subscriptions.findOrCreateForWorkspace(randomUUID())).toBeNull();
  });

  it('lets a user claim one workspace trial, once under concurrency; a release gives it back', async () => {
    const { id: userId } = await database.createUser();
    const at = new Date('2031-01-01T00:00:00Z');
    const claims = await Promise.all(
      Array.from({ length: 8 }, () => subscriptions.claimWorkspaceTrial(userId, at)),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    await subscriptions.releaseWorkspaceTrial(userId, new Date('2031-01-02T00:00:00Z'));
    expect(await subscriptions.claimWorkspaceTrial(userId, at)).toBe(false);
    await subscriptions.releaseWorkspaceTrial(userId, at);
    expect(await subscriptions.claimWorkspaceTrial(userId, at)).toBe(true);
  });
});
