import { describe, expect, it } from '@jest/globals';
import { parseLsn, ReplicaLagClock } from './replica-lag.js';

describe('parseLsn', () => {
  it('orders WAL positions across the high word', () => {
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
    expect(() => parseLsn('16B3748')).toThrow('Not a WAL position');
  });
});

describe('ReplicaLagClock', () => {
  it('is unknown before the primary was sampled', () => {
    expect(new ReplicaLagClock(60_000).lagOf(10n, 1000)).toBeUndefined();
  });

  it('reads 0 for a replica that replayed every sample, however old the last write', () => {
    const clock = new ReplicaLagClock(60_000);
    clock.recordPrimary(100n, 0);
    clock.recordPrimary(100n, 50_000); // idle primary: no new WAL
    expect(clock.lagOf(100n, 55_000)).toEqual({ ms: 0, atLeast: false });
  });

  it('is the age of the oldest sample the replica has not replayed', () => {
    const clock = new ReplicaLagClock(60_000);
    clock.recordPrimary(100n, 0);
    clock.recordPrimary(200n, 1000);
    clock.recordPrimary(300n, 2000);
    expect(clock.lagOf(250n, 2500)).toEqual({ ms: 500, atLeast: false });
    expect(clock.lagOf(150n, 2500)).toEqual({ ms: 1500, atLeast: false });
  });

  it('gives only a lower bound for a replica behind every kept sample', () => {
    const clock = new ReplicaLagClock(2000);
    for (let second = 0; second <= 10; second += 1)
      clock.recordPrimary(BigInt(100 + second), second * 1000);
    // Samples older than 2 s are dropped: a replica at 100 is behind all that remain.
    expect(clock.lagOf(100n, 10_000)).toEqual({ ms: 2000, atLeast: true });
    expect(clock.lagOf(109n, 10_000)).toEqual({ ms: 0, atLeast: false });
  });
});
