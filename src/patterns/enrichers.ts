/**
 * The context enrichers: the seed's `prepare_*_context` steps as an ordered, configurable
 * pipeline that runs before the policy on every request (the evaluate activity, and
 * `tollgate policy eval --enrich`). Each computes documented keys. Computed keys are facts and win
 * over the caller's context, which is only a claim; keys named in `trusted` are dropped from what a
 * caller sends, so that only an enricher can ever set them.
 */
import type { OperationInput } from '../operation/schema.js';
import type { PolicyRequest, PolicySubject } from '../policy/types.js';
import { compileGlob, type GlobMatcher } from '../policy/glob.js';
import { resourceNamingContext, tenantContext } from './tenancy.js';
import { securityContext, type SecurityContextOptions } from './security.js';
import { rolloutContext } from './rollout.js';

/** What an enricher sees of a request. */
export interface EnrichmentRequest {
  /** The operation id (the rollout bucket hashes it). */
  id?: string;
  subject: PolicySubject;
  action: string;
  resource: string;
  operation?: { name: string; args?: unknown };
  estimatedCost?: number;
}

export type Computed = Record<string, unknown>;

export interface Enricher {
  name: EnricherName;
  /** The context keys it computes (documented in README's policy section). */
  keys: readonly string[];
  enrich(request: EnrichmentRequest): Computed | Promise<Computed>;
}

export const ENRICHER_NAMES = ['tenancy', 'naming', 'environment', 'security', 'budget', 'rollout'] as const;
export type EnricherName = (typeof ENRICHER_NAMES)[number];

/** The default pipeline: all of them, in this order. */
export const DEFAULT_ENRICHERS: readonly EnricherName[] = ENRICHER_NAMES;

/** Keys each enricher computes. */
export const ENRICHER_KEYS: Readonly<Record<EnricherName, readonly string[]>> = {
  tenancy: ['cross_tenant_access', 'tenant_verified', 'subject_tenant', 'resource_tenant'],
  naming: ['resource_naming_valid', 'validation_message'],
  environment: ['environment'],
  security: ['contains_sql_injection', 'contains_command_injection', 'contains_path_traversal', 'domain_whitelisted', 'domain_approved', 'path_whitelisted', 'audit_logging_enabled'],
  budget: [
    'user_budget_exceeded', 'team_budget_exceeded', 'org_budget_exceeded', 'monthly_budget_exceeded', 'estimated_cost', 'estimated_cost_high', 'budget_period',
    'user_spent', 'team_spent', 'org_spent', 'user_reserved', 'team_reserved', 'org_reserved', 'user_limit', 'team_limit', 'org_limit',
    'user_remaining', 'team_remaining', 'org_remaining',
  ],
  rollout: ['rollout_bucket', 'rollout_percentage', 'rollout_strict'],
};

/** How the environment of a request is derived: the first rule whose glob matches its resource. */
export interface EnvironmentSettings {
  fromResource: ReadonlyArray<{ match: string; value: string }>;
  /** When no rule matches: what this deployment is (e.g. `production` on the production task queue). */
  default: string;
}

/** The seed's naming: an environment is in the resource's name. Unknown otherwise, which no rule trusts. */
export const DEFAULT_ENVIRONMENT: EnvironmentSettings = {
  fromResource: [
    { match: '*production*', value: 'production' },
    { match: '*staging*', value: 'staging' },
    { match: '*development*', value: 'development' },
  ],
  default: 'unknown',
};

export interface EnricherDependencies {
  security: SecurityContextOptions;
  tenantSchemes?: readonly string[];
  environment?: EnvironmentSettings;
  /** Spend and reservations so far; absent without a database (then the budget enricher adds nothing). */
  budgetContext?: (request: EnrichmentRequest) => Promise<Computed>;
  /** The rollout percentage in force, when a rollout is configured. */
  rolloutPercentage?: () => number | undefined;
}

export function environmentOf(resource: string, settings: EnvironmentSettings, matchers: readonly GlobMatcher[]): string {
  const index = matchers.findIndex((matcher) => matcher.test(resource));
  return index >= 0 ? settings.fromResource[index].value : settings.default;
}

function enricherFor(name: EnricherName, deps: EnricherDependencies): Enricher {
  const keys = ENRICHER_KEYS[name];
  switch (name) {
    case 'tenancy':
      return { name, keys, enrich: (r) => tenantContext(r.subject, r.resource) };
    case 'naming':
      return { name, keys, enrich: (r) => resourceNamingContext(r.subject, r.resource, deps.tenantSchemes) };
    case 'environment': {
      const settings = deps.environment ?? DEFAULT_ENVIRONMENT;
      const matchers = settings.fromResource.map((rule) => compileGlob(rule.match));
      return { name, keys, enrich: (r) => ({ environment: environmentOf(r.resource, settings, matchers) }) };
    }
    case 'security':
      return { name, keys, enrich: (r) => securityContext(r.operation?.args, deps.security) };
    case 'budget':
      return { name, keys, enrich: async (r) => (deps.budgetContext ? deps.budgetContext(r) : {}) };
    case 'rollout':
      return {
        name,
        keys,
        enrich: (r) => {
          const percentage = deps.rolloutPercentage?.();
          return percentage === undefined || r.id === undefined ? {} : rolloutContext(r.id, percentage);
        },
      };
  }
}

export interface EnrichmentPipeline {
  readonly enrichers: readonly Enricher[];
  /** Every key the pipeline may compute: caller claims of these never survive. */
  readonly computedKeys: ReadonlySet<string>;
  enrich(request: EnrichmentRequest): Promise<Computed>;
}

/** The pipeline for the configured names, in order; later enrichers win on a shared key. */
export function createEnrichmentPipeline(names: readonly EnricherName[], deps: EnricherDependencies): EnrichmentPipeline {
  const enrichers = names.map((name) => enricherFor(name, deps));
  return {
    enrichers,
    computedKeys: new Set(enrichers.flatMap((enricher) => enricher.keys)),
    async enrich(request) {
      const computed: Computed = {};
      for (const enricher of enrichers) Object.assign(computed, await enricher.enrich(request));
      return computed;
    },
  };
}

/**
 * The request context a policy sees: the caller's claims without the trusted keys, then the
 * facts the enrichers computed on top.
 */
export function mergeContext(claimed: Computed | undefined, computed: Computed, trusted: ReadonlySet<string>): { context: Computed; dropped: string[] } {
  const context: Computed = {};
  const dropped: string[] = [];
  // defineProperty keeps a key such as `__proto__` as plain data instead of a prototype change.
  const set = (key: string, value: unknown) => Object.defineProperty(context, key, { value, enumerable: true, writable: true, configurable: true });
  for (const [key, value] of Object.entries(claimed ?? {})) {
    if (trusted.has(key) || Object.hasOwn(computed, key)) dropped.push(key);
    else set(key, value);
  }
  for (const [key, value] of Object.entries(computed)) set(key, value);
  return { context, dropped };
}

/**
 * The policy request for an operation: the caller's claims, with the facts the enrichers computed
 * (and the estimate being reserved) on top. Returns the claimed keys that were not believed, for
 * the audit trail.
 */
export function policyRequestFor(
  input: Pick<OperationInput, 'subject' | 'action' | 'resource' | 'context' | 'estimatedCost'>,
  computed: Computed = {},
  trusted: ReadonlySet<string> = new Set(),
): { request: PolicyRequest; dropped: string[] } {
  const facts = { ...(input.estimatedCost !== undefined ? { estimated_cost: input.estimatedCost } : {}), ...computed };
  const { context, dropped } = mergeContext(input.context, facts, trusted);
  return { request: { subject: input.subject, action: input.action, resource: input.resource, context }, dropped };
}
