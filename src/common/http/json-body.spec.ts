import { describe, expect, it } from '@jest/globals';
import { isStorableText, MAX_JSON_ARRAY, MAX_JSON_DEPTH, unacceptableJson } from './json-body.js';

function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = i % 2 === 0 ? { a: value } : [value];
  return value;
}

describe('unacceptableJson', () => {
  // Issue 10, item 8: 1,500 levels overflowed class-transformer's stack (a 500).
  it('refuses bodies nested deeper than the limit, however deep', () => {
    expect(unacceptableJson(nested(MAX_JSON_DEPTH))).toBeUndefined();
    expect(unacceptableJson(nested(MAX_JSON_DEPTH + 1))).toMatch(/nested deeper than 32/);
    expect(unacceptableJson(nested(100_000))).toMatch(/nested deeper/);
  });

  it('refuses a list of more than 1,000 items, whose validation would cost far more', () => {
    expect(unacceptableJson({ events: new Array(MAX_JSON_ARRAY).fill({}) })).toBeUndefined();
    expect(unacceptableJson({ events: new Array(MAX_JSON_ARRAY + 1).fill({}) })).toMatch(
      /more than 1000 items/,
    );
  });

  // Issue 10, item 1: text PostgreSQL cannot store is refused at intake.
  it('refuses NUL characters and unpaired surrogates in values and keys, at any depth', () => {
    expect(unacceptableJson({ a: 'x\u0000y' })).toMatch(/cannot be stored/);
    expect(unacceptableJson({ metadata: { deep: ['ok', '\ud800'] } })).toMatch(/cannot be stored/);
    expect(unacceptableJson({ ['k\u0000']: 1 })).toMatch(/cannot be stored/);
    expect(unacceptableJson({ a: 'lone low \udc00 here' })).toMatch(/cannot be stored/);
  });

  it('accepts ordinary bodies, emoji (paired surrogates) and non-Latin text', () => {
    expect(unacceptableJson({ a: 'grüße 📊 表', b: [1, null, true, { c: 'd' }] })).toBeUndefined();
    expect(unacceptableJson([])).toBeUndefined();
    expect(unacceptableJson(null)).toBeUndefined();
  });
});

describe('isStorableText', () => {
  it('accepts a surrogate pair and refuses either half alone', () => {
    expect(isStorableText('\ud83d\udcca')).toBe(true);
    expect(isStorableText('\ud83d')).toBe(false);
    expect(isStorableText('\udcca')).toBe(false);
  });
});
