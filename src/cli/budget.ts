import type { Command } from 'commander';
import { BUDGET_LEVELS, formatMoney, toMicros, type BudgetLevel, type BudgetLevelStatus } from '../budget/index.js';
import { TollgateInputError } from '../errors.js';
import { printJson } from './io.js';
import { withClient } from './context.js';

const BAR_WIDTH = 20;
/** Amounts in status are in currency units; formatMoney takes the ledger's micro-units. */
const money = (amount: number) => formatMoney(toMicros(amount));

function bar(percent: number | null): string {
  if (percent === null) return `[${' '.repeat(BAR_WIDTH)}] no limit`;
  const filled = Math.min(BAR_WIDTH, Math.round((percent / 100) * BAR_WIDTH));
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${percent.toFixed(1)}%`;
}

export function formatBudgetStatus(levels: readonly BudgetLevelStatus[]): string {
  const rows = levels.map((l) => [
    `${l.level} ${l.entity}`,
    l.limit === null ? '-' : money(l.limit),
    money(l.spent),
    money(l.reserved),
    l.remaining === null ? '-' : money(l.remaining),
    bar(l.percent),
  ]);
  const header = ['level', 'limit', 'spent', 'reserved', 'remaining', `used (${levels[0]?.period ?? ''})`];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

const amount = (flag: string) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new TollgateInputError(`${flag}: expected a non-negative amount, got "${value}"`, flag);
  return parsed;
};

const level = (value: string): BudgetLevel => {
  if (!(BUDGET_LEVELS as readonly string[]).includes(value)) throw new TollgateInputError(`level: expected one of ${BUDGET_LEVELS.join(', ')}, got "${value}"`, 'level');
  return value as BudgetLevel;
};

export function registerBudgetCommands(program: Command): void {
  const budget = program.command('budget').description('hierarchical budgets: status, limits, cost corrections');
  budget.command('status')
    .description('limit, spent, reserved and remaining per level this period')
    .option('--user <id>', 'a user (the subject identifier)')
    .option('--team <id>', 'a team (subject.attributes.team_id)')
    .option('--json', 'print one JSON document')
    .action(async (options, command: Command) => {
      await withClient(command, async (client) => {
        const levels = await client.budgetStatus({ user: options.user, team: options.team });
        if (options.json) printJson(levels);
        else console.log(formatBudgetStatus(levels));
      });
    });
  budget.command('set-limit')
    .description('override a limit at run time (stored in the database, over tollgate.yaml)')
    .argument('<level>', `one of ${BUDGET_LEVELS.join(', ')}`, level)
    .argument('<entity>', 'user or team id (any value for org)')
    .argument('<amount>', 'the limit per period, or "none" for unlimited, or "config" to go back to tollgate.yaml')
    .action(async (lvl: BudgetLevel, entity: string, value: string, _options, command: Command) => {
      await withClient(command, async (client) => {
        if (value === 'config') {
          const had = await client.clearBudgetLimit(lvl, entity);
          console.log(had ? `${lvl} ${entity}: back to the configured limit` : `${lvl} ${entity}: had no override`);
          return;
        }
        const limit = value === 'none' ? null : amount('amount')(value);
        await client.setBudgetLimit(lvl, entity, limit);
        console.log(`${lvl} ${entity}: limit ${limit === null ? 'none' : money(limit)}`);
      });
    });
  budget.command('adjust')
    .description('correct what an operation actually cost (idempotent)')
    .argument('<id>', 'operation id')
    .argument('<actual>', 'the actual cost', amount('actual'))
    .action(async (id: string, actual: number, _options, command: Command) => {
      await withClient(command, async (client) => {
        await client.adjustCost(id, actual);
        console.log(`${id}: cost set to ${money(actual)}`);
      });
    });
}
