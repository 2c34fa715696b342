import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUDGET_PERIODS, periodKey, periodKindOf } from '../../../src/budget/period.js';

const at = (iso: string) => new Date(iso);

describe('periodKey', () => {
  it('names each kind of period in UTC', () => {
    const moment = at('2025-11-24T15:30:00Z');
    expect(periodKey(moment, 'day')).toBe('2025-11-24');
    expect(periodKey(moment, 'week')).toBe('2025-W48');
    expect(periodKey(moment, 'month')).toBe('2025-11');
    expect(periodKey(moment, 'quarter')).toBe('2025-Q4');
    expect(periodKey(moment, 'year')).toBe('2025');
  });

  it('rolls over at midnight UTC on the first of the month, whatever the local offset', () => {
    expect(periodKey(at('2025-01-31T23:59:59.999Z'), 'month')).toBe('2025-01');
    expect(periodKey(at('2025-02-01T00:00:00.000Z'), 'month')).toBe('2025-02');
    // 01:30 on 1 Feb in Paris is still 31 Jan in UTC.
    expect(periodKey(at('2025-02-01T01:30:00+02:00'), 'month')).toBe('2025-01');
    expect(periodKey(at('2025-12-31T23:59:59.999Z'), 'year')).toBe('2025');
    expect(periodKey(at('2026-01-01T00:00:00Z'), 'quarter')).toBe('2026-Q1');
    expect(periodKey(at('2025-03-31T23:59:59Z'), 'quarter')).toBe('2025-Q1');
    expect(periodKey(at('2025-04-01T00:00:00Z'), 'quarter')).toBe('2025-Q2');
  });

  it('uses ISO weeks, whose year differs from the calendar year around New Year', () => {
    expect(periodKey(at('2024-12-30T00:00:00Z'), 'week')).toBe('2025-W01'); // Monday
    expect(periodKey(at('2021-01-03T23:00:00Z'), 'week')).toBe('2020-W53'); // Sunday
    expect(periodKey(at('2021-01-04T00:00:00Z'), 'week')).toBe('2021-W01');
    expect(periodKey(at('2026-01-01T00:00:00Z'), 'week')).toBe('2026-W01'); // Thursday
    expect(periodKey(at('2027-01-01T00:00:00Z'), 'week')).toBe('2026-W53'); // Friday
    // A week runs Monday to Sunday.
    expect(periodKey(at('2025-11-23T23:59:59Z'), 'week')).toBe('2025-W47');
    expect(periodKey(at('2025-11-24T00:00:00Z'), 'week')).toBe('2025-W48');
  });

  it('rejects an invalid date', () => {
    expect(() => periodKey(new Date('nope'), 'month')).toThrow(/invalid date/);
  });

  const dates = fc.date({ min: new Date('1971-01-01T00:00:00Z'), max: new Date('2200-12-31T23:59:59Z'), noInvalidDate: true });
  const periods = fc.constantFrom(...BUDGET_PERIODS);

  it('sorts keys in time order (a later moment never has an earlier key)', () => {
    fc.assert(fc.property(dates, dates, periods, (a, b, period) => {
      const [early, late] = a <= b ? [a, b] : [b, a];
      expect(periodKey(early, period) <= periodKey(late, period)).toBe(true);
    }));
  });

  it('gives every moment of one period the same key and tells the kind back', () => {
    fc.assert(fc.property(dates, periods, (date, period) => {
      const key = periodKey(date, period);
      expect(periodKindOf(key)).toBe(period);
      if (period === 'week') {
        const week = Number(key.slice(6));
        expect(week).toBeGreaterThanOrEqual(1);
        expect(week).toBeLessThanOrEqual(53);
        // Every day of an ISO week (Monday..Sunday) shares its key.
        const monday = new Date(date.getTime() - ((date.getUTCDay() + 6) % 7) * 86_400_000);
        for (let day = 0; day < 7; day++) {
          expect(periodKey(new Date(monday.getTime() + day * 86_400_000), 'week')).toBe(key);
        }
      }
    }));
  });
});
