import { limitToMicros } from './money.js';
import type { BudgetsConfig } from './types.js';

/**
 * The config file's limits in micro-units, as JSON for `budget_effective_limit` (migration 005),
 * which lets a run-time override win over them. Every limit is checked here, once, so a limit
 * past the ledger's maximum fails at start-up, naming its key, instead of in the first request.
 */
export function configuredLimitsJson(budgets: Pick<BudgetsConfig, 'org' | 'teams' | 'users'>): string {
  const micros = (record: Record<string, number>, key: string) =>
    Object.fromEntries(Object.entries(record).map(([entity, limit]) => [entity, limitToMicros(limit, `budgets.${key}.${entity}`)]));
  return JSON.stringify({
    org: budgets.org === undefined ? null : limitToMicros(budgets.org, 'budgets.org'),
    team: micros(budgets.teams, 'teams'),
    user: micros(budgets.users, 'users'),
  });
}
