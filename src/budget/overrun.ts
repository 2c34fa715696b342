import { formatMoney, fromMicros, MAX_PERIOD_AMOUNT, wholeMicros } from './money.js';
import { periodAdjective, type BudgetPeriod } from './period.js';
import type { BudgetEntities, BudgetLevelStatus, BudgetOverrun, OverrunLevel } from './types.js';

/**
 * The levels an overrun's excess did not fit, from the levels after the commit: those where
 * spent and reserved, with the unpaid part counted too, pass the limit or the ledger's maximum.
 */
export function overrunLevels(levels: readonly BudgetLevelStatus[], unpaid: number): OverrunLevel[] {
  const unpaidMicros = wholeMicros(unpaid);
  const ceilingMicros = wholeMicros(MAX_PERIOD_AMOUNT);
  return levels.flatMap((status) => {
    const usedMicros = wholeMicros(status.spent) + wholeMicros(status.reserved) + unpaidMicros;
    const limitMicros = status.limit === null ? ceilingMicros : Math.min(wholeMicros(status.limit), ceilingMicros);
    if (usedMicros <= limitMicros) return [];
    const ceiling = usedMicros > ceilingMicros;
    return [{ level: status.level, entity: status.entity, limit: ceiling ? MAX_PERIOD_AMOUNT : status.limit!, used: status.spent + status.reserved + unpaid, ceiling }];
  });
}

export function budgetOverrun(input: {
  key: string;
  entities: BudgetEntities;
  period: string;
  periodKind: BudgetPeriod;
  reserved: number;
  charged: number;
  unpaid: number;
  levels: readonly BudgetLevelStatus[];
  alerted: boolean;
}): BudgetOverrun {
  const { levels, ...overrun } = input;
  return { ...overrun, reported: fromMicros(wholeMicros(input.charged) + wholeMicros(input.unpaid)), levels: overrunLevels(levels, input.unpaid) };
}

/**
 * "Budget overrun: op-7 (user bob, team platform) cost $5000.00 against $1.00 reserved; team
 * platform is at $5000.00 of its $50.00 monthly budget. Charged in full (budgets.overrun: record)."
 */
export function formatBudgetOverrun(overrun: BudgetOverrun): string {
  const who = [`user ${overrun.entities.user}`, ...(overrun.entities.team ? [`team ${overrun.entities.team}`] : [])].join(', ');
  const money = (amount: number) => `$${formatMoney(wholeMicros(amount))}`;
  const broken = overrun.levels.map((level) => {
    const name = level.level === 'org' ? 'the org' : `${level.level} ${level.entity}`;
    const of = level.ceiling ? 'the ledger\'s maximum per period' : `its ${periodAdjective(overrun.periodKind)} budget`;
    return `${name} is at ${money(level.used)} of ${of} (${money(level.limit)})`;
  });
  const settled = overrun.unpaid > 0
    ? `Charged ${money(overrun.charged)}; ${money(overrun.unpaid)} unpaid until \`tollgate budget adjust ${overrun.key} ${formatMoney(wholeMicros(overrun.reported))}\`.`
    : 'Charged in full (budgets.overrun: record).';
  return `Budget overrun: ${overrun.key} (${who}) cost ${money(overrun.reported)} against ${money(overrun.reserved)} reserved`
    + `${broken.length ? `; ${broken.join('; ')}` : ''}. ${settled}`;
}
