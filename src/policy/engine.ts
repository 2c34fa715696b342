import { compilePolicySet, ruleMatches, type CompiledPolicySet } from './compile.js';
import { PolicyApprovalRequiredError, PolicyViolationError } from './errors.js';
import { explainRequest, type PolicyExplanation } from './explain.js';
import { PolicyEffect, type PolicyDecision, type PolicyRequest, type PolicySet } from './types.js';

/** Compiles a PolicySet once; evaluate is synchronous and allocation-free on warm paths. */
export class PolicyEngine {
  readonly compiled: CompiledPolicySet;

  constructor(readonly policySet: PolicySet) {
    this.compiled = compilePolicySet(policySet);
  }

  get version(): string {
    return this.compiled.version;
  }

  /** First matching rule in ascending priority decides; otherwise the default effect. */
  evaluate(request: PolicyRequest): PolicyDecision {
    const { actionIndex, resourceIndex, rules } = this.compiled;
    const byAction = actionIndex.candidates(request.action);
    const byResource = resourceIndex.candidates(request.resource);
    // A rule that matches must be in both lists, so the shorter one is enough to scan.
    const candidates = byAction.length <= byResource.length ? byAction : byResource;
    for (let i = 0; i < candidates.length; i++) {
      const rule = rules[candidates[i]];
      if (ruleMatches(rule, request)) return rule.decision;
    }
    return this.compiled.defaultDecision;
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
