import { describe, expect, it } from 'vitest';
import { crossedThresholds, formatBudgetAlert, type BudgetAlert } from '../../../src/budget/alerts.js';
import { BudgetExceededError } from '../../../src/budget/errors.js';
import { formatBudgetOverrun } from '../../../src/budget/overrun.js';

const M = 1_000_000;
const THRESHOLDS = [0.8, 0.9, 0.95];

describe('crossedThresholds', () => {
  it('compares exactly at the boundary', () => {
    expect(crossedThresholds(800 * M, 1000 * M, THRESHOLDS)).toEqual([0.8]);
    expect(crossedThresholds(800 * M - 1, 1000 * M, THRESHOLDS)).toEqual([]);
    expect(crossedThresholds(950 * M, 1000 * M, THRESHOLDS)).toEqual([0.8, 0.9, 0.95]);
    // 0.3 of 0.1 + 0.2 would miss in floating point: 0.1 + 0.2 > 0.3.
    expect(crossedThresholds(300_000, 1_000_000, [0.3])).toEqual([0.3]);
  });

  it('has nothing to say about a zero limit and ignores repeated thresholds', () => {
    expect(crossedThresholds(5 * M, 0, THRESHOLDS)).toEqual([]);
    expect(crossedThresholds(900 * M, 1000 * M, [0.9, 0.8, 0.9])).toEqual([0.8, 0.9]);
  });
});

describe('formatBudgetAlert', () => {
  const base: BudgetAlert = {
    level: 'team', entity: 'team-platform', period: '2025-11', periodKind: 'month', threshold: 0.8,
    spent: 800, limit: 1000, percent: 80, createdAt: new Date(0),
  };

  it("reads like the seed's alert", () => {
    expect(formatBudgetAlert(base)).toBe('Budget Alert: Team team-platform has used 80.0% of monthly budget ($800.00 / $1000.00)');
  });

  it('names users and the organisation, and the configured period', () => {
    expect(formatBudgetAlert({ ...base, level: 'user', entity: 'user-123', spent: 90.5, limit: 100, percent: 90.5, periodKind: 'week' }))
      .toBe('Budget Alert: User user-123 has used 90.5% of weekly budget ($90.50 / $100.00)');
    expect(formatBudgetAlert({ ...base, level: 'org', entity: 'org', spent: 9500, limit: 10000, percent: 95 }))
      .toBe('Budget Alert: Organization has used 95.0% of monthly budget ($9500.00 / $10000.00)');
  });
});

describe('BudgetExceededError', () => {
  it('says which level, what is left and what was asked', () => {
    const error = new BudgetExceededError({
      level: 'team', entity: 'team-platform', limitMicros: 1000 * M, spentMicros: 999.1 * M, reservedMicros: 0.5 * M,
      requestedMicros: 2.5 * M, period: '2025-11', periodKind: 'month',
    });
    expect(error.message).toBe('team team-platform budget exceeded: 0.40 left of 1000.00 this month, 2.50 requested');
    expect(error).toMatchObject({ name: 'BudgetExceededError', level: 'team', entity: 'team-platform', limit: 1000, spent: 999.1, reserved: 0.5, remaining: 0.4, requested: 2.5 });
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ level: 'team', remaining: 0.4 });
  });
});

describe('formatBudgetOverrun', () => {
  const overrun = {
    key: 'op-7', entities: { user: 'bob', team: 'platform', org: 'org' as const }, period: '2025-11', periodKind: 'month' as const,
    reserved: 1, reported: 5000, charged: 5000, unpaid: 0, alerted: false,
    levels: [{ level: 'team' as const, entity: 'platform', limit: 50, used: 5000, ceiling: false }],
  };

  it('says what it cost, against what, which budget it broke, and that it was charged', () => {
    expect(formatBudgetOverrun(overrun)).toBe('Budget overrun: op-7 (user bob, team platform) cost $5000.00 against $1.00 reserved; '
      + 'team platform is at $5000.00 of its monthly budget ($50.00). Charged in full (budgets.overrun: record).');
  });

  it('says what is unpaid and the command that settles it', () => {
    expect(formatBudgetOverrun({ ...overrun, charged: 1, unpaid: 4999 }))
      .toMatch(/Charged \$1\.00; \$4999\.00 unpaid until `tollgate budget adjust op-7 5000\.00`\.$/);
  });
});
