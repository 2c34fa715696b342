import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMoney, fromMicros, microsFromSql, toMicros } from '../../../src/budget/money.js';
import { TollgateInputError } from '../../../src/errors.js';

describe('money in micro-units', () => {
  it('holds the seed amounts exactly', () => {
    expect(toMicros(2.5)).toBe(2_500_000);
    expect(toMicros(2.35)).toBe(2_350_000);
    expect(fromMicros(toMicros(2.35))).toBe(2.35);
    expect(fromMicros(toMicros(10_000))).toBe(10_000);
  });

  it('adds without the drift of floating point', () => {
    let float = 0;
    let micros = 0;
    for (let i = 0; i < 100; i++) {
      float += 0.1;
      micros += toMicros(0.1);
    }
    expect(float).not.toBe(10);
    expect(fromMicros(micros)).toBe(10);
  });

  it('sums any list of cent amounts to the exact total', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 10_000_000 }), { maxLength: 200 }), (cents) => {
      const total = cents.reduce((sum, c) => sum + toMicros(c / 100), 0);
      expect(total).toBe(cents.reduce((sum, c) => sum + c, 0) * 10_000);
    }));
  });

  it('formats to cents, rounding half away from zero on the exact value', () => {
    expect(formatMoney(400_000)).toBe('0.40');
    expect(formatMoney(1_000_000_000)).toBe('1000.00');
    expect(formatMoney(2_345_000)).toBe('2.35');
    expect(formatMoney(2_344_999)).toBe('2.34');
    expect(formatMoney(0)).toBe('0.00');
    expect(formatMoney(-50_000)).toBe('-0.05');
  });

  it('refuses amounts that are not money', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -0.01, 1e12]) {
      expect(() => toMicros(bad, 'estimatedCost')).toThrow(TollgateInputError);
    }
    expect(() => toMicros(-1, 'estimatedCost')).toThrow(/estimatedCost: must not be negative/);
  });

  it('reads BIGINT strings from pg and refuses values a double cannot hold', () => {
    expect(microsFromSql('2350000')).toBe(2_350_000);
    expect(microsFromSql(null)).toBe(0);
    expect(() => microsFromSql('9007199254740993')).toThrow(/out of range/);
  });
});
