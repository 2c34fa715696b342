import { TollgateInputError } from '../errors.js';
import { valueAtPath } from '../policy/context.js';
import { ORG_ENTITY, type BudgetEntities, type BudgetsConfig } from './types.js';

function entityName(value: unknown, key: string, field: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new TollgateInputError(`${field} "${key}": expected a string in the request, got ${typeof value}`, field);
}

/**
 * Who an operation's cost is charged to: the user at `budgets.userKey` (default
 * `subject.identifier`), the team at `budgets.teamKey` (default `subject.attributes.team_id`)
 * and the org. The paths are read from the operation request as submitted, so a caller's
 * `context` cannot redirect the charge unless the config says to read it from there.
 */
export function budgetEntities(
  request: object,
  budgets: Pick<BudgetsConfig, 'userKey' | 'teamKey'>,
): BudgetEntities {
  const user = entityName(valueAtPath(request, budgets.userKey.split('.')), budgets.userKey, 'budgets.userKey');
  if (user === undefined) {
    throw new TollgateInputError(`budgets.userKey "${budgets.userKey}": the request has no value there to charge the cost to`, 'budgets.userKey');
  }
  const team = entityName(valueAtPath(request, budgets.teamKey.split('.')), budgets.teamKey, 'budgets.teamKey');
  return team === undefined ? { user, org: ORG_ENTITY } : { user, team, org: ORG_ENTITY };
}
