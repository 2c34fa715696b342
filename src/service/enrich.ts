import type { TollgateConfig } from '../config.js';
import type { OperationInput } from '../operation/schema.js';
import { securityContext, tenantContext } from '../patterns/index.js';

export type PolicyContextEnricher = (input: Pick<OperationInput, 'subject' | 'action' | 'resource' | 'operation' | 'estimatedCost'>) => Promise<Record<string, unknown>>;

/**
 * The seed's prepare_*_context steps, run for every request before the policy sees it: tenant
 * isolation and the security detectors over the operation's arguments. Their keys override the
 * caller's context (see policyRequestFor), so a caller cannot vouch for itself.
 */
export function policyContextEnricher(config: Pick<TollgateConfig, 'security'>, extra: PolicyContextEnricher[] = []): PolicyContextEnricher {
  return async (input) => {
    const computed: Record<string, unknown> = {
      ...tenantContext(input.subject, input.resource),
      ...securityContext(input.operation?.args, config.security),
    };
    for (const enrich of extra) Object.assign(computed, await enrich(input));
    return computed;
  };
}
