import type { PolicyRequest } from '../policy/types.js';
import type { OperationInput } from './schema.js';

/**
 * The policy request for an operation. Context the enrichers compute (budget, tenancy, detectors)
 * wins over the caller's context: a caller must not be able to claim `contains_sql_injection: false`.
 */
export function policyRequestFor(input: OperationInput, computed: Record<string, unknown> = {}): PolicyRequest {
  return {
    subject: input.subject,
    action: input.action,
    resource: input.resource,
    context: {
      ...input.context,
      ...(input.estimatedCost !== undefined ? { estimated_cost: input.estimatedCost } : {}),
      ...computed,
    },
  };
}
