import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { openAuditTrail } from '../audit/index.js';
import {
  BUDGET_LEVELS, BudgetLedger, formatMoney, wholeMicros, type BudgetChange, type BudgetLevel, type BudgetLevelStatus,
} from '../budget/index.js';
import { TollgateInputError } from '../errors.js';
import { openStore } from '../store/index.js';
import { printJson } from './io.js';
import { configOf } from './context.js';

const BAR_WIDTH = 20;
/** Amounts in status are in currency units; formatMoney takes the ledger's micro-units. */
const money = (amount: number) => formatMoney(wholeMicros(amount));

/** Budgets live in the database alone: these commands work while Temporal is down. */
async function withLedger<T>(command: Command, work: (ledger: BudgetLedger) => Promise<T>): Promise<T> {
  const config = configOf(command);
  const store = await openStore(config, { serveEmbedded: false, max: 2 });
  try {
    return await work(new BudgetLedger(store.pool, config.budgets, { audit: openAuditTrail(store.pool, config).trail }));
  } finally {
    await store.close();
  }
}

/**
 * Who is changing a budget, for the audit trail: --actor, else the login name. It is what the
 * operator says, as with any database client, not an authenticated identity.
 */
function changeOf(options: { actor?: string; reason?: string }): BudgetChange {
  let actor = options.actor ?? process.env.USER;
  if (!actor) {
    try {
      actor = userInfo().username;
    } catch {
      // No passwd entry (a container): --actor is then required.
    }
  }
  if (!actor) throw new TollgateInputError('--actor: who is making the change? (no $USER to default to)', '--actor');
  return { actor, reason: options.reason };
}

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
      await withLedger(command, async (ledger) => {
        const levels = await ledger.status({ user: options.user, team: options.team });
        if (options.json) printJson(levels);
        else console.log(formatBudgetStatus(levels));
      });
    });
  budget.command('set-limit')
    .description('override a limit at run time (stored in the database, over tollgate.yaml)')
    .argument('<level>', `one of ${BUDGET_LEVELS.join(', ')}`, level)
    .argument('<entity>', 'user or team id (any value for org)')
    .argument('<amount>', 'the limit per period, or "none" for unlimited, or "config" to go back to tollgate.yaml')
    .option('--actor <name>', 'who is making the change, for the audit trail (default: $USER)')
    .option('--reason <text>', 'why, for the audit trail')
    .action(async (lvl: BudgetLevel, entity: string, value: string, options, command: Command) => {
      const change = changeOf(options);
      await withLedger(command, async (ledger) => {
        if (value === 'config') {
          const had = await ledger.clearLimit(lvl, entity, change);
          console.log(had ? `${lvl} ${entity}: back to the configured limit` : `${lvl} ${entity}: had no override`);
          return;
        }
        const limit = value === 'none' ? null : amount('amount')(value);
        await ledger.setLimit(lvl, entity, limit, change);
        console.log(`${lvl} ${entity}: limit ${limit === null ? 'none' : money(limit)}`);
      });
    });
  budget.command('adjust')
    .description('correct what an operation actually cost, settling any unpaid overrun (idempotent)')
    .argument('<id>', 'operation id')
    .argument('<actual>', 'the actual cost', amount('actual'))
    .option('--actor <name>', 'who is making the change, for the audit trail (default: $USER)')
    .option('--reason <text>', 'why (e.g. the invoice), for the audit trail')
    .action(async (id: string, actual: number, options, command: Command) => {
      const change = changeOf(options);
      await withLedger(command, async (ledger) => {
        const { reservation } = await ledger.adjust(id, actual, change);
        console.log(`${id}: cost set to ${money(reservation.actual!)}`);
      });
    });
}
