import { describe, expect, it } from '@jest/globals';
import { changeKind, isUsableProrationDate } from './plan-change.js';

describe(changeKind.name, () => {
  it.each([
    ['pro', 'month', 'business', 'month', 'upgrade'],
    ['pro', 'year', 'business', 'month', 'upgrade'],
    ['pro', 'month', 'pro', 'year', 'upgrade'],
    ['business', 'month', 'pro', 'month', 'downgrade'],
    ['business', 'month', 'pro', 'year', 'downgrade'],
    ['pro', 'year', 'pro', 'month', 'downgrade'],
    ['pro', 'month', 'pro', 'month', 'same'],
    ['business', 'year', 'business', 'year', 'same'],
  ] as const)('%s/%s -> %s/%s is %s', (fromPlan, fromInterval, toPlan, toInterval, kind) => {
    expect(
      changeKind(
        { plan: fromPlan, interval: fromInterval },
        { plan: toPlan, interval: toInterval },
      ),
    ).toBe(kind);
  });
});

describe(isUsableProrationDate.name, () => {
  const now = 1_800_000_000;
  it.each([
    [now, true],
    [now - 3600, true],
    [now + 60, true],
    [now - 3601, false],
    [now + 61, false],
  ])('%i -> %s', (date, usable) => {
    expect(isUsableProrationDate(date, now)).toBe(usable);
  });
});
