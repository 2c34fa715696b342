import type { TollgateConfig } from '../config.js';
import { budgetEntities, readsBudgetContext, type BudgetLedger } from '../budget/index.js';
import { createEnrichmentPipeline, type EnrichmentPipeline } from './enrichers.js';

/**
 * The configured enrichment pipeline with its dependencies: the budget ledger (when there is a
 * database and the policy reads a budget key: the query is a round trip per evaluation) and the
 * rollout percentage in force.
 */
export function enrichmentFor(
  config: Pick<TollgateConfig, 'enrichers' | 'security' | 'tenancy' | 'environment' | 'budgets'>,
  deps: { ledger?: BudgetLedger; contextKeys?: Iterable<string>; rolloutPercentage?: () => number | undefined } = {},
): EnrichmentPipeline {
  const { ledger } = deps;
  const needsBudget = ledger && (deps.contextKeys === undefined || readsBudgetContext(deps.contextKeys));
  return createEnrichmentPipeline(config.enrichers, {
    security: config.security,
    tenantSchemes: config.tenancy.schemes,
    environment: config.environment,
    ...(needsBudget
      ? { budgetContext: async (request) => ({ ...(await ledger.budgetContext(budgetEntities({ subject: request.subject }, config.budgets), request.estimatedCost ?? 0)) }) }
      : {}),
    rolloutPercentage: deps.rolloutPercentage,
  });
}
