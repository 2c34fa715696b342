import type { Queryable } from '../store/connect.js';
import { microsFromSql, toMicros } from './money.js';
import { ORG_ENTITY, type BudgetLevel, type BudgetsConfig } from './types.js';

/** The limit the config file gives, in micro-units; null when it gives none. */
export function configuredLimitMicros(budgets: BudgetsConfig, level: BudgetLevel, entity: string): number | null {
  let limit: number | undefined;
  if (level === 'org') limit = entity === ORG_ENTITY ? budgets.org : undefined;
  else if (level === 'team') limit = hasOwnNumber(budgets.teams, entity);
  else limit = hasOwnNumber(budgets.users, entity);
  return limit === undefined ? null : toMicros(limit, `budgets.${level === 'org' ? 'org' : `${level}s.${entity}`}`);
}

function hasOwnNumber(record: Record<string, number>, key: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

/** A row's override, as the ledger's queries return it beside the totals. */
export interface LimitOverride {
  overridden: boolean;
  limit_micros: string | null;
}

/**
 * The effective limit in micro-units: an override set in SQL wins over the config file (a
 * NULL override means explicitly unlimited); no limit anywhere is null.
 */
export function effectiveLimitMicros(budgets: BudgetsConfig, level: BudgetLevel, entity: string, override: LimitOverride): number | null {
  if (!override.overridden) return configuredLimitMicros(budgets, level, entity);
  return override.limit_micros === null ? null : microsFromSql(override.limit_micros);
}

/** Override a limit at run time; null makes the entity explicitly unlimited. */
export async function setLimit(db: Queryable, level: BudgetLevel, entity: string, amount: number | null): Promise<void> {
  const micros = amount === null ? null : toMicros(amount, 'limit');
  await db.query(
    `INSERT INTO budget_limits (level, entity, limit_micros, updated_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (level, entity) DO UPDATE SET limit_micros = EXCLUDED.limit_micros, updated_at = EXCLUDED.updated_at`,
    [level, entity, micros],
  );
}

/** Drop a run-time override, so the config file's limit applies again. */
export async function clearLimit(db: Queryable, level: BudgetLevel, entity: string): Promise<boolean> {
  const result = await db.query('DELETE FROM budget_limits WHERE level = $1 AND entity = $2', [level, entity]);
  return (result.rowCount ?? 0) > 0;
}
