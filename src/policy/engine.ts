import { anyMatches, compilePolicySet, subjectAndConstraintsHold, type CompiledPolicySet } from './compile.js';
import { PolicyApprovalRequiredError, PolicyViolationError } from './errors.js';
import { explainRequest, type PolicyExplanation } from './explain.js';
import { isValidatedPolicySet, parsePolicySet } from './schema.js';
import { PolicyEffect, type PolicyDecision, type PolicyRequest, type PolicyRule, type PolicySet } from './types.js';

/** Compiles a PolicySet once; evaluate is synchronous and allocation-free on warm paths. */
export class PolicyEngine {
  readonly compiled: CompiledPolicySet;

  readonly policySet: PolicySet;

  /** A set from parsePolicySet/loadPolicySet is used as is; any other object is validated first (PolicyValidationError). */
  constructor(policySet: PolicySet) {
    this.policySet = isValidatedPolicySet(policySet) ? policySet : parsePolicySet(policySet);
    this.compiled = compilePolicySet(this.policySet);
  }

  /** The rule a decision names (rule names are unique in a set). */
  ruleNamed(name: string | null): PolicyRule | undefined {
    return name === null ? undefined : this.policySet.rules.find((rule) => rule.name === name);
  }

  get version(): string {
    return this.compiled.version;
  }

  /** First matching rule in ascending priority decides; otherwise the default effect. */
  evaluate(request: PolicyRequest): PolicyDecision {
    const candidates = this.candidatesFor(request.action, request.resource);
    const rules = this.compiled.rules;
    for (let i = 0; i < candidates.length; i++) {
      const rule = rules[candidates[i]];
      if (subjectAndConstraintsHold(rule, request)) return rule.decision;
    }
    return this.compiled.defaultDecision;
  }

  private readonly pairCache = new Map<string, Map<string, Int32Array>>();
  private pairCacheSize = 0;
  private static readonly PAIR_CACHE_LIMIT = 100_000;

  /**
   * Rules whose action and resource patterns both match, in evaluation order. Agents repeat the
   * same (action, resource) pairs, so caching the pair leaves only subjects and constraints to
   * check per decision.
   */
  private candidatesFor(action: string, resource: string): Int32Array {
    let byResource = this.pairCache.get(action);
    const cached = byResource?.get(resource);
    if (cached !== undefined) return cached;
    const { actionIndex, resourceIndex, rules } = this.compiled;
    const byAction = actionIndex.candidates(action);
    const byRes = resourceIndex.candidates(resource);
    // A rule that matches must be in both lists, so the shorter one is enough to scan.
    const scan = byAction.length <= byRes.length ? byAction : byRes;
    const matching: number[] = [];
    for (const rank of scan) {
      const rule = rules[rank];
      if (anyMatches(rule.actions, action) && anyMatches(rule.resources, resource)) matching.push(rank);
    }
    if (this.pairCacheSize >= PolicyEngine.PAIR_CACHE_LIMIT) {
      this.pairCache.clear();
      this.pairCacheSize = 0;
      byResource = undefined;
    }
    if (!byResource) this.pairCache.set(action, (byResource = new Map()));
    const list = Int32Array.from(matching);
    byResource.set(resource, list);
    this.pairCacheSize++;
    return list;
  }

  /** The decision on allow; throws PolicyViolationError on deny, PolicyApprovalRequiredError on approval. */
  enforce(request: PolicyRequest): PolicyDecision {
    const decision = this.evaluate(request);
    if (decision.effect === PolicyEffect.DENY) throw new PolicyViolationError(decision, request);
    if (decision.effect === PolicyEffect.REQUIRE_APPROVAL) throw new PolicyApprovalRequiredError(decision, request);
    return decision;
  }

  explain(request: PolicyRequest): PolicyExplanation {
    return explainRequest(this.compiled, request);
  }
}
