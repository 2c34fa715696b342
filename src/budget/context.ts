import { costToMicros, wholeMicros } from './money.js';
import type { BudgetLevel, BudgetLevelStatus, BudgetsConfig } from './types.js';

/**
 * What the policy engine sees about budgets: the seed's `prepare_request_context` keys, so
 * its budget rules (`org_budget_exceeded equals true`, ...) work unchanged.
 *
 * `<level>_budget_exceeded` is true when the level has a limit and either
 *   - spent + reserved >= limit (the seed's rule: nothing is left), or
 *   - spent + reserved + estimated_cost > limit (this operation would not fit).
 * The second clause makes the policy deny exactly what `BudgetLedger.reserve` would refuse,
 * so an over-budget operation ends as a policy denial naming the level's rule, instead of
 * being sent for approval and failing at reservation time. Reservations count as well as
 * spend, so operations running in parallel cannot each see the same headroom.
 */
export type BudgetContext = {
  user_budget_exceeded: boolean;
  team_budget_exceeded: boolean;
  org_budget_exceeded: boolean;
  /** Any level exceeded; named after the seed, whatever `budgets.period` is. */
  monthly_budget_exceeded: boolean;
  estimated_cost: number;
  /** estimated_cost > budgets.highCostThreshold */
  estimated_cost_high: boolean;
  budget_period: string;
} & { [K in `${BudgetLevel}_${'spent' | 'reserved'}`]: number | null }
  & { [K in `${BudgetLevel}_${'limit' | 'remaining'}`]: number | null };

const BUDGET_CONTEXT_KEY = /^(?:(?:user|team|org)_(?:budget_exceeded|spent|reserved|limit|remaining)|monthly_budget_exceeded|estimated_cost_high|budget_period)$/;

/** Whether a policy reading these context keys needs the budget context (a database query) at all. */
export function readsBudgetContext(keys: Iterable<string>): boolean {
  for (const key of keys) if (BUDGET_CONTEXT_KEY.test(key)) return true;
  return false;
}

export function levelExceeded(level: BudgetLevelStatus | undefined, estimatedMicros: number): boolean {
  if (!level || level.limit === null) return false;
  const limit = wholeMicros(level.limit);
  const used = wholeMicros(level.spent) + wholeMicros(level.reserved);
  return used >= limit || used + estimatedMicros > limit;
}

/**
 * Budget flags for the policy context, from the levels `BudgetLedger.status` returned.
 * A level that is absent (no team) or unlimited is never exceeded; its amounts are null
 * when absent and its limit null when unlimited.
 */
export function budgetContext(
  levels: readonly BudgetLevelStatus[],
  estimatedCost: number,
  budgets: Pick<BudgetsConfig, 'highCostThreshold'>,
): BudgetContext {
  const estimatedMicros = costToMicros(estimatedCost, 'estimatedCost');
  const of = (level: BudgetLevel) => levels.find((status) => status.level === level);
  const user = of('user');
  const team = of('team');
  const org = of('org');
  const exceeded = {
    user_budget_exceeded: levelExceeded(user, estimatedMicros),
    team_budget_exceeded: levelExceeded(team, estimatedMicros),
    org_budget_exceeded: levelExceeded(org, estimatedMicros),
  };
  return {
    ...exceeded,
    monthly_budget_exceeded: exceeded.user_budget_exceeded || exceeded.team_budget_exceeded || exceeded.org_budget_exceeded,
    estimated_cost: estimatedCost,
    estimated_cost_high: estimatedMicros > wholeMicros(budgets.highCostThreshold),
    budget_period: levels[0]?.period ?? '',
    user_spent: user?.spent ?? null,
    user_reserved: user?.reserved ?? null,
    user_limit: user?.limit ?? null,
    user_remaining: user?.remaining ?? null,
    team_spent: team?.spent ?? null,
    team_reserved: team?.reserved ?? null,
    team_limit: team?.limit ?? null,
    team_remaining: team?.remaining ?? null,
    org_spent: org?.spent ?? null,
    org_reserved: org?.reserved ?? null,
    org_limit: org?.limit ?? null,
    org_remaining: org?.remaining ?? null,
  };
}
