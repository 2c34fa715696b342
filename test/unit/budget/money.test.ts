import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_OPERATION_AMOUNT, MAX_PERIOD_AMOUNT, MICROS_PER_UNIT, costToMicros, formatMoney, fromMicros, limitToMicros, microsFromSql, wholeMicros,
} from '../../../src/budget/money.js';
import { TollgateInputError } from '../../../src/errors.js';

describe('money in micro-units', () => {
  it('holds the seed amounts exactly', () => {
    expect(costToMicros(2.5)).toBe(2_500_000);
    expect(costToMicros(2.35)).toBe(2_350_000);
    expect(fromMicros(costToMicros(2.35))).toBe(2.35);
    expect(fromMicros(costToMicros(10_000))).toBe(10_000);
  });

  it('adds without the drift of floating point', () => {
    let float = 0;
    let micros = 0;
    for (let i = 0; i < 100; i++) {
      float += 0.1;
      micros += costToMicros(0.1);
    }
    expect(float).not.toBe(10);
    expect(fromMicros(micros)).toBe(10);
  });

  it('sums any list of cent amounts to the exact total', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 10_000_000 }), { maxLength: 200 }), (cents) => {
      const total = cents.reduce((sum, c) => sum + costToMicros(c / 100), 0);
      expect(total).toBe(cents.reduce((sum, c) => sum + c, 0) * 10_000);
    }));
  });

  it('keeps every amount of whole micro-units exact, up to the maximum per operation', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: MAX_OPERATION_AMOUNT * MICROS_PER_UNIT }), (micros) => {
      expect(costToMicros(micros / MICROS_PER_UNIT)).toBe(micros);
      expect(limitToMicros(micros / MICROS_PER_UNIT)).toBe(micros);
    }), { numRuns: 5_000 });
  });

  it('keeps every limit in cents exact, up to the maximum per period', () => {
    // Above 2^33 a double cannot tell micro-units apart, but it still holds every cent.
    fc.assert(fc.property(fc.integer({ min: 0, max: MAX_PERIOD_AMOUNT * 100 }), (cents) => {
      expect(limitToMicros(cents / 100)).toBe(cents * 10_000);
    }), { numRuns: 5_000 });
  });

  it('does not charge for the rounding error of the caller\'s own arithmetic', () => {
    expect(costToMicros(0.1 + 0.2)).toBe(300_000);
    expect(costToMicros(1234 * 0.000002)).toBe(2_468);
  });

  it('rounds a cost up to the next micro-unit, never to zero', () => {
    expect(costToMicros(4e-7)).toBe(1);
    expect(costToMicros(1e-300)).toBe(1);
    expect(costToMicros(Number.MIN_VALUE)).toBe(1);
    expect(costToMicros(2.0000004)).toBe(2_000_001);
    expect(costToMicros(0)).toBe(0);
    fc.assert(fc.property(fc.double({ min: 0, max: 1_000, noNaN: true }), (amount) => {
      const micros = costToMicros(amount);
      // Never less than the amount (beyond the last bit of the multiplication), and never free.
      expect(micros).toBeGreaterThanOrEqual(amount * MICROS_PER_UNIT * (1 - 4 * Number.EPSILON));
      if (amount > 0) expect(micros).toBeGreaterThan(0);
    }), { numRuns: 5_000 });
  });

  it('rounds a limit down, so it never allows more than it says', () => {
    expect(limitToMicros(4e-7)).toBe(0);
    expect(limitToMicros(0.0001)).toBe(100);
    expect(limitToMicros(2.0000009)).toBe(2_000_000);
  });

  it('refuses amounts that are not money, naming the field and the maximum', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -0.01, MAX_OPERATION_AMOUNT + 1]) {
      expect(() => costToMicros(bad, 'estimatedCost')).toThrow(TollgateInputError);
    }
    expect(() => costToMicros(-1, 'estimatedCost')).toThrow(/estimatedCost: must not be negative/);
    expect(() => costToMicros(2e9, 'actualCost')).toThrow('actualCost: 2000000000 is more than the maximum of 1000000000 per operation');
    expect(limitToMicros(MAX_PERIOD_AMOUNT)).toBe(MAX_PERIOD_AMOUNT * MICROS_PER_UNIT);
    expect(() => limitToMicros(1e10, 'budgets.org')).toThrow('budgets.org: 10000000000 is more than the maximum of 9000000000 per period');
  });

  it('keeps the period maximum inside the exact range of a double, and BIGINT', () => {
    expect(Number.isSafeInteger(MAX_PERIOD_AMOUNT * MICROS_PER_UNIT * 1)).toBe(true);
    expect(MAX_PERIOD_AMOUNT * MICROS_PER_UNIT).toBeLessThan(Number.MAX_SAFE_INTEGER);
    expect(BigInt(MAX_PERIOD_AMOUNT * MICROS_PER_UNIT) * 2n).toBeLessThan(2n ** 63n - 1n);
  });

  it('converts amounts the ledger gave back without refusing any', () => {
    expect(wholeMicros(2.35)).toBe(2_350_000);
    expect(wholeMicros(9.1e12)).toBe(9.1e18);
  });

  it('formats to cents, rounding half away from zero on the exact value', () => {
    expect(formatMoney(400_000)).toBe('0.40');
    expect(formatMoney(1_000_000_000)).toBe('1000.00');
    expect(formatMoney(2_345_000)).toBe('2.35');
    expect(formatMoney(2_344_999)).toBe('2.34');
    expect(formatMoney(0)).toBe('0.00');
    expect(formatMoney(-50_000)).toBe('-0.05');
  });

  it('reads BIGINT strings from pg, and totals past the exact range without throwing', () => {
    expect(microsFromSql('2350000')).toBe(2_350_000);
    expect(microsFromSql(null)).toBe(0);
    // Only rows written before the period maximum existed can hold this; reading them must not throw.
    expect(microsFromSql('9100000000000000000')).toBe(9.1e18);
  });
});
