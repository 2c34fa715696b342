import { fromMicros } from './money.js';
import type { BudgetPeriod } from './period.js';
import type { BudgetLevel, BudgetLevelStatus } from './types.js';

/** A level's status from exact micro-unit totals. */
export function levelStatus(input: {
  level: BudgetLevel;
  entity: string;
  spentMicros: number;
  reservedMicros: number;
  limitMicros: number | null;
  period: string;
  periodKind: BudgetPeriod;
}): BudgetLevelStatus {
  const { limitMicros, spentMicros, reservedMicros } = input;
  let remaining: number | null = null;
  let percent: number | null = null;
  if (limitMicros !== null) {
    remaining = fromMicros(Math.max(0, limitMicros - spentMicros - reservedMicros));
    percent = limitMicros === 0 ? 100 : Math.round((spentMicros * 10_000) / limitMicros) / 100;
  }
  return {
    level: input.level,
    entity: input.entity,
    limit: limitMicros === null ? null : fromMicros(limitMicros),
    spent: fromMicros(spentMicros),
    reserved: fromMicros(reservedMicros),
    remaining,
    percent,
    period: input.period,
    periodKind: input.periodKind,
  };
}
