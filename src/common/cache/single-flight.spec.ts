import { describe, expect, it } from '@jest/globals';
import { SingleFlight } from './single-flight.js';

describe(SingleFlight.name, () => {
  it('runs one load for concurrent callers of a key, and a new one once it has settled', async () => {
    const flight = new SingleFlight<number>();
    let loads = 0;
    let release!: (value: number) => void;
    const load = () => {
      loads++;
      return new Promise<number>((resolve) => (release = resolve));
    };
    const callers = Array.from({ length: 50 }, () => flight.run('user-1', load));
    expect(loads).toBe(1);
    release(7);
    expect(await Promise.all(callers)).toEqual(Array(50).fill(7));
    void flight.run('user-1', load);
    expect(loads).toBe(2);
  });

  it('keeps keys apart and lets a failure reach every waiting caller, then forgets it', async () => {
    const flight = new SingleFlight<string>();
    const failing = () => Promise.reject(new Error('database down'));
    const [a, b] = [flight.run('a', failing), flight.run('a', failing)];
    await expect(a).rejects.toThrow('database down');
    await expect(b).rejects.toThrow('database down');
    await expect(flight.run('a', () => Promise.resolve('back'))).resolves.toBe('back');
    await expect(flight.run('b', () => Promise.resolve('other'))).resolves.toBe('other');
  });
});

describe(`${SingleFlight.name}.read`, () => {
  // A cold-cache burst read the database twice: a caller whose cache read went out before the
  // first load wrote its copy, and came back after that load had settled, loaded again.
  it('gives a caller whose cache read began before a load settled that load, not a new one', async () => {
    const flight = new SingleFlight<number>();
    let loads = 0;
    const load = () => Promise.resolve(++loads);
    let answerLateRead!: (value: number | undefined) => void;
    const lateRead = flight.read(
      'user-1',
      () => new Promise<number | undefined>((resolve) => (answerLateRead = resolve)),
      load,
    );
    await expect(flight.read('user-1', () => Promise.resolve(undefined), load)).resolves.toBe(1);
    answerLateRead(undefined);
    await expect(lateRead).resolves.toBe(1);
    expect(loads).toBe(1);
  });

  it('answers from the cache on a hit, and loads again for a read that began after the load', async () => {
    const flight = new SingleFlight<number>();
    let loads = 0;
    const load = () => Promise.resolve(++loads);
    await expect(flight.read('k', () => Promise.resolve(42), load)).resolves.toBe(42);
    await expect(flight.read('k', () => Promise.resolve(undefined), load)).resolves.toBe(1);
    await expect(flight.read('k', () => Promise.resolve(undefined), load)).resolves.toBe(2);
    expect(loads).toBe(2);
  });
});
