import type { TollgateConfig } from '../config.js';
import { budgetEntities, type BudgetLedger } from '../budget/index.js';
import { createEnrichmentPipeline, type EnrichmentPipeline } from './enrichers.js';

/**
 * The configured enrichment pipeline with its dependencies: the budget ledger (asked only when
 * there is a database and a policy in force reads a budget key: the query is a round trip per
 * evaluation) and the rollout percentage in force.
 */
export function enrichmentFor(
  config: Pick<TollgateConfig, 'enrichers' | 'security' | 'tenancy' | 'environment' | 'budgets'>,
  deps: { ledger?: BudgetLedger; readsBudget?: () => boolean; rolloutPercentage?: () => number | undefined } = {},
): EnrichmentPipeline {
  const { ledger } = deps;
  return createEnrichmentPipeline(config.enrichers, {
    security: config.security,
    tenantSchemes: config.tenancy.schemes,
    environment: config.environment,
    ...(ledger
      ? {
        budgetContext: async (request) => (deps.readsBudget?.() ?? true
          ? { ...(await ledger.budgetContext(budgetEntities({ subject: request.subject }, config.budgets), request.estimatedCost ?? 0)) }
          : {}),
      }
      : {}),
    rolloutPercentage: deps.rolloutPercentage,
  });
}
