import { anyMatches, failingCheck, subjectMatches, type CompiledPolicySet, type CompiledRule } from './compile.js';
import type { PolicyDecision, PolicyEffect, PolicyRequest } from './types.js';

export type ExplainOutcome = 'matched' | 'not_matched' | 'not_reached';

export interface ExplainStep {
  rule: string;
  priority: number;
  effect: PolicyEffect;
  outcome: ExplainOutcome;
  /** The first reason the rule failed, why it matched, or why it was not tried. */
  reason: string;
}

export interface PolicyExplanation {
  decision: PolicyDecision;
  steps: ExplainStep[];
}

const show = (value: unknown) => (value === undefined ? 'missing' : JSON.stringify(value));
const list = (patterns: readonly { pattern: string }[]) => patterns.map((p) => JSON.stringify(p.pattern)).join(', ');

/** Why the rule does not match, or null when it does. Same predicates as evaluate, in the same order. */
export function whyNot(rule: CompiledRule, request: PolicyRequest): string | null {
  if (!anyMatches(rule.actions, request.action)) return `action ${JSON.stringify(request.action)} matches none of ${list(rule.actions!)}`;
  if (!anyMatches(rule.resources, request.resource)) return `resource ${JSON.stringify(request.resource)} matches none of ${list(rule.resources!)}`;
  if (!subjectMatches(rule.subjects, request.subject)) {
    return `subject ${JSON.stringify(request.subject.identifier)} (roles ${JSON.stringify(request.subject.roles ?? [])}) matches none of ${list(rule.subjects!)}`;
  }
  for (const constraint of rule.constraints ?? []) {
    const failure = failingCheck(constraint, request);
    if (failure) {
      const { check, value } = failure;
      return value === undefined
        ? `constraint ${constraint.key} ${check.test} ${JSON.stringify(check.expected)}: ${constraint.key} is missing`
        : `constraint ${constraint.key} ${check.test} ${JSON.stringify(check.expected)} fails: ${constraint.key} is ${show(value)}`;
    }
  }
  return null;
}

function whyMatched(rule: CompiledRule): string {
  const parts = [
    rule.actions ? 'action' : null,
    rule.resources ? 'resource' : null,
    rule.subjects ? 'subject' : null,
    rule.constraints ? `${rule.constraints.length} constraint(s)` : null,
  ].filter(Boolean);
  return parts.length ? `${parts.join(', ')} matched; first match decides` : 'the rule has no conditions; first match decides';
}

/** Every rule in evaluation order with the first reason it failed or matched. Scans all rules (no index). */
export function explainRequest(compiled: CompiledPolicySet, request: PolicyRequest): PolicyExplanation {
  const steps: ExplainStep[] = [];
  let decision: PolicyDecision | null = null;
  for (const rule of compiled.rules) {
    const base = { rule: rule.rule.name, priority: rule.rule.priority, effect: rule.rule.effect };
    if (decision) {
      steps.push({ ...base, outcome: 'not_reached', reason: `not tried: ${decision.rule} decided first` });
      continue;
    }
    const failure = whyNot(rule, request);
    if (failure) {
      steps.push({ ...base, outcome: 'not_matched', reason: failure });
    } else {
      steps.push({ ...base, outcome: 'matched', reason: whyMatched(rule) });
      decision = rule.decision;
    }
  }
  return { decision: decision ?? compiled.defaultDecision, steps };
}
