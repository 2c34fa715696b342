import { TollgateInputError } from '../errors.js';

export type BudgetPeriod = 'day' | 'week' | 'month' | 'quarter' | 'year';
export const BUDGET_PERIODS: readonly BudgetPeriod[] = ['day', 'week', 'month', 'quarter', 'year'];

const DAY_MS = 86_400_000;

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/**
 * The UTC period a moment falls in, as a sortable key: `2025-11-24` (day), `2025-W48`
 * (ISO week, whose year can differ from the calendar year around New Year), `2025-11`
 * (month), `2025-Q4` (quarter), `2025` (year). Keys of different kinds never collide.
 */
export function periodKey(date: Date, period: BudgetPeriod): string {
  const time = date.getTime();
  if (Number.isNaN(time)) throw new TollgateInputError('budget period: invalid date', 'now');
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + 1;
  switch (period) {
    case 'day':
      return `${year}-${pad(month)}-${pad(date.getUTCDate())}`;
    case 'week': {
      // ISO 8601: weeks start on Monday, and week 1 is the one holding the year's first Thursday.
      const weekday = (date.getUTCDay() + 6) % 7;
      const thursday = new Date(Date.UTC(year, date.getUTCMonth(), date.getUTCDate() - weekday + 3));
      const isoYear = thursday.getUTCFullYear();
      const week = 1 + Math.floor((thursday.getTime() - Date.UTC(isoYear, 0, 1)) / DAY_MS / 7);
      return `${isoYear}-W${pad(week)}`;
    }
    case 'month':
      return `${year}-${pad(month)}`;
    case 'quarter':
      return `${year}-Q${Math.ceil(month / 3)}`;
    case 'year':
      return String(year);
    default:
      throw new TollgateInputError(`budgets.period: unknown period "${String(period)}"`, 'budgets.period');
  }
}

/** "monthly", for "80.0% of monthly budget". */
export function periodAdjective(period: BudgetPeriod): string {
  return { day: 'daily', week: 'weekly', month: 'monthly', quarter: 'quarterly', year: 'yearly' }[period];
}

/** "this month", for "0.40 left of 1000.00 this month". */
export function periodPhrase(period: BudgetPeriod): string {
  return { day: 'today', week: 'this week', month: 'this month', quarter: 'this quarter', year: 'this year' }[period];
}

/** The kind of period a key names (the inverse of periodKey's formats). */
export function periodKindOf(key: string): BudgetPeriod {
  if (/^\d{4}-\d{2}-\d{2}$/.test(key)) return 'day';
  if (/^\d{4}-W\d{2}$/.test(key)) return 'week';
  if (/^\d{4}-\d{2}$/.test(key)) return 'month';
  if (/^\d{4}-Q[1-4]$/.test(key)) return 'quarter';
  if (/^\d{4}$/.test(key)) return 'year';
  throw new Error(`not a budget period key: "${key}"`);
}
