import { describe, expect, it, jest } from '@jest/globals';
import type { CallHandler, ExecutionContext } from '@nestjs/common';
import { defer, firstValueFrom, of } from 'rxjs';
import type { DataSource } from 'typeorm';
import { ReadRouter, type ReadQuery } from './read-router.service.js';
import { ReaderContext, ReaderContextInterceptor } from './reader-context.js';
import type { RecentWrites } from './recent-writes.service.js';
import type { Replica, ReplicaHealth, ReplicaState } from './replica-health.service.js';

const unreachable = () =>
  Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

/** A replica whose connections answer every query with the replica's name. */
function replica(name: string, state: ReplicaState = 'up') {
  const released: (Error | undefined)[] = [];
  let failure: (() => Error) | undefined;
  let failOnQuery: (() => Error) | undefined;
  const pool = {
    connect: async () => {
      if (failure) throw failure();
      return {
        query: async () => {
          if (failOnQuery) throw failOnQuery();
          return { rows: [{ server: name }] };
        },
        release: (error?: Error) => void released.push(error),
      };
    },
  };
  const entry: Replica = { name, state, lagMs: state === 'up' ? 0 : null, pool: pool as never };
  return {
    entry,
    released,
    refuseConnections: (error = unreachable) => (failure = error),
    failQueries: (error: () => Error) => (failOnQuery = error),
  };
}

function setUp(replicas: Replica[], marked: string[] = []) {
  const down: Replica[] = [];
  // Marking down takes the replica out of the reads, as ReplicaHealth does until its next check.
  const health = {
    replicas,
    markDown: (target: Replica) => {
      target.state = 'down';
      down.push(target);
    },
  };
  const wroteRecently = jest.fn(async (userId: string) => marked.includes(userId));
  const primary = { released: 0 };
  const dataSource = {
    createQueryRunner: () => ({
      query: async () => [{ server: 'primary' }],
      release: async () => void (primary.released += 1),
    }),
  };
  const readers = new ReaderContext();
  const router = new ReadRouter(
    health as unknown as ReplicaHealth,
    { wroteRecently } as unknown as RecentWrites,
    readers,
    dataSource as unknown as DataSource,
  );
  const server = (query: ReadQuery) =>
    query<{ server: string }>('SELECT 1').then(([row]) => row.server);
  const readFrom = () => router.read(server);
  return { router, readers, readFrom, down, wroteRecently, primary };
}

describe(ReadRouter.name, () => {
  it('sends reads to the usable replicas in turn', async () => {
    const { readFrom } = setUp([replica('replica-1').entry, replica('replica-2').entry]);
    const servers = [];
    for (let i = 0; i < 4; i += 1) servers.push(await readFrom());
    expect(servers).toEqual(['replica-1', 'replica-2', 'replica-1', 'replica-2']);
  });

  it('skips replicas that are not up, and reads the primary when none is', async () => {
    const lagging = replica('replica-1', 'lagging').entry;
    const starting = replica('replica-2', 'starting').entry;
    const up = replica('replica-3').entry;
    const { readFrom, wroteRecently } = setUp([lagging, starting, up]);
    expect([await readFrom(), await readFrom()]).toEqual(['replica-3', 'replica-3']);

    up.state = 'down';
    expect(await readFrom()).toBe('primary');
    // With no replica to choose, nobody's recent writes are looked up.
    expect(wroteRecently).not.toHaveBeenCalled();
  });

  it('reads the primary without replicas at all', async () => {
    const { readFrom, primary } = setUp([]);
    expect(await readFrom()).toBe('primary');
    expect(primary.released).toBe(1);
  });

  it('sends a reader who wrote recently to the primary, and everyone else to a replica', async () => {
    const { readers, readFrom, wroteRecently } = setUp([replica('replica-1').entry], ['writer']);
    expect(await readers.run('writer', readFrom)).toBe('primary');
    expect(wroteRecently).toHaveBeenCalledWith('writer');
    expect(await readers.run('someone-else', readFrom)).toBe('replica-1');
    // Outside a request (a background job) there is no reader to ask about.
    expect(await readFrom()).toBe('replica-1');
    expect(await readers.run(undefined, readFrom)).toBe('replica-1');
    expect(wroteRecently).toHaveBeenCalledTimes(2);
  });

  it('keeps the reader across the awaits of a read', async () => {
    const { router, readers } = setUp([replica('replica-1').entry], ['writer']);
    const seen = await readers.run('writer', async () => {
      await Promise.resolve();
      return router.read(async (query) => {
        await query('SELECT 1');
        return readers.reader;
      });
    });
    expect(seen).toBe('writer');
  });

  it('falls back to the primary when a replica cannot be reached, and marks it down', async () => {
    const first = replica('replica-1');
    const second = replica('replica-2');
    first.refuseConnections();
    const { readFrom, down } = setUp([first.entry, second.entry]);
    expect(await readFrom()).toBe('primary');
    expect(down).toEqual([first.entry]);
    expect(first.entry.state).toBe('down');
    expect([await readFrom(), await readFrom()]).toEqual(['replica-2', 'replica-2']);
  });

  it('discards a connection lost mid-read and runs the read on the primary', async () => {
    const lost = replica('replica-1');
    lost.failQueries(() => Object.assign(new Error('terminating connection'), { code: '57P01' }));
    const { readFrom, down } = setUp([lost.entry]);
    expect(await readFrom()).toBe('primary');
    expect(down).toEqual([lost.entry]);
    expect(lost.released).toEqual([expect.objectContaining({ code: '57P01' })]);
  });

  it('runs a read cancelled by WAL replay again on the primary, keeping the replica', async () => {
    const conflicted = replica('replica-1');
    conflicted.failQueries(() =>
      Object.assign(new Error('canceling statement'), { code: '40001' }),
    );
    const { readFrom, down } = setUp([conflicted.entry]);
    expect(await readFrom()).toBe('primary');
    expect(down).toEqual([]);
    expect(conflicted.entry.state).toBe('up');
    expect(conflicted.released).toEqual([undefined]);
  });

  it('passes other errors on without trying the primary', async () => {
    const broken = replica('replica-1');
    broken.failQueries(() => Object.assign(new Error('syntax error'), { code: '42601' }));
    const { readFrom, down, primary } = setUp([broken.entry]);
    await expect(readFrom()).rejects.toMatchObject({ code: '42601' });
    expect(primary.released).toBe(0);
    expect(down).toEqual([]);
    expect(broken.released).toEqual([undefined]);
  });
});

describe(ReaderContextInterceptor.name, () => {
  const requestOf = (user?: { id: string; role: string }) =>
    ({ switchToHttp: () => ({ getRequest: () => ({ user }) }) }) as unknown as ExecutionContext;

  it('makes the authenticated caller the reader while the route runs', async () => {
    const readers = new ReaderContext();
    const interceptor = new ReaderContextInterceptor(readers);
    const handler: CallHandler = { handle: () => of(readers.reader) };
    const seen = await firstValueFrom(
      interceptor.intercept(requestOf({ id: 'caller', role: 'user' }), handler),
    );
    expect(seen).toBe('caller');
    expect(readers.reader).toBeUndefined();
  });

  it('leaves an anonymous request without a reader', async () => {
    const readers = new ReaderContext();
    const handler: CallHandler = { handle: () => defer(() => of(readers.reader ?? 'none')) };
    const seen = await firstValueFrom(
      new ReaderContextInterceptor(readers).intercept(requestOf(), handler),
    );
    expect(seen).toBe('none');
  });
});
