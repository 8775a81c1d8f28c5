import { describe, expect, it } from '@jest/globals';
import { counterAdvances } from './signature-counter.js';

describe(counterAdvances.name, () => {
  it.each([
    [0, 1],
    [5, 6],
    [5, 1_000],
    [0, 4_294_967_295],
  ])('accepts a counter that moves forward (%d -> %d)', (stored, received) => {
    expect(counterAdvances(stored, received)).toBe(true);
  });

  it('accepts 0 after 0: an authenticator that keeps no counter', () => {
    expect(counterAdvances(0, 0)).toBe(true);
  });

  it.each([
    [5, 5],
    [5, 4],
    [5, 0],
    [1, 0],
  ])('refuses a counter that does not move forward (%d -> %d)', (stored, received) => {
    expect(counterAdvances(stored, received)).toBe(false);
  });
});
