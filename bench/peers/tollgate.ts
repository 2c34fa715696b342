import { PolicyEngine, PolicyEffect, type PolicySet } from '../../src/index.js';
import type { DecisionEngine, RequestList } from './engine.js';

/** Tollgate itself: `engine.evaluate(request)` on the requests as they are. */
export function tollgateEngine(set: PolicySet, requests: RequestList): DecisionEngine & { readonly engine: PolicyEngine } {
  const started = performance.now();
  const engine = new PolicyEngine(set);
  const setupMs = performance.now() - started;
  const n = requests.length;
  return {
    name: 'tollgate',
    engine,
    setupMs,
    policyUnits: set.rules.length,
    requestCount: n,
    decide(i) {
      const decision = engine.evaluate(requests[i]);
      return { allowed: decision.effect === PolicyEffect.ALLOW, rules: decision.rule === null ? [] : [decision.rule] };
    },
    runBatch(from, count) {
      let allowed = 0;
      let j = from % n;
      for (let k = 0; k < count; k++) {
        if (engine.evaluate(requests[j]).effect === PolicyEffect.ALLOW) allowed++;
        if (++j === n) j = 0;
      }
      return allowed;
    },
  };
}
