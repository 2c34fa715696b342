/**
 * What-if: replay the requests recorded in the audit trail against a candidate policy set, so a
 * policy change is judged on real traffic before it ships. Each `policy_decision` entry keeps the
 * evaluated request (subject, action, resource, and the context with its secrets redacted), so
 * the replay sees what the policy saw, the enrichers' facts included, except for redacted values.
 * A rule that tests a redacted value cannot be replayed faithfully: such requests are reported as
 * "cannot replay", never guessed.
 */
import type { AuditEntry } from '../audit/types.js';
import type { PolicyEngine } from '../policy/engine.js';
import { lookup } from '../policy/context.js';
import type { PolicyRequest } from '../policy/types.js';
import { REDACTED } from '../redact.js';

export interface RecordedDecision {
  operationId: string | null;
  at: string;
  actor: string | null;
  action: string;
  resource: string;
  effect: string;
  rule: string | null;
}

export type ReplayOutcome =
  | { kind: 'same'; recorded: RecordedDecision }
  | { kind: 'changed'; recorded: RecordedDecision; candidate: { effect: string; rule: string | null } }
  | { kind: 'cannot_replay'; recorded: RecordedDecision; reason: string };

export interface WhatIfReport {
  candidate: { name: string; version: string };
  replayed: number;
  same: number;
  changed: Array<Extract<ReplayOutcome, { kind: 'changed' }>>;
  cannotReplay: Array<Extract<ReplayOutcome, { kind: 'cannot_replay' }>>;
  /** Changes counted by (recorded effect and rule → candidate effect and rule), largest first. */
  byRulePair: Array<{ from: { effect: string; rule: string | null }; to: { effect: string; rule: string | null }; count: number }>;
}

const isRedacted = (value: unknown): boolean =>
  typeof value === 'string' ? value.includes(REDACTED) : Array.isArray(value) ? value.some(isRedacted) : typeof value === 'object' && value !== null ? Object.values(value).some(isRedacted) : false;

/** The request a policy_decision entry recorded, as the policy saw it (context redacted). */
export function recordedRequest(entry: AuditEntry): PolicyRequest | null {
  if (entry.type !== 'policy_decision' || !entry.actor || !entry.action || !entry.resource) return null;
  const subject = (entry.data.subject ?? {}) as { roles?: string[]; attributes?: Record<string, unknown>; tags?: Record<string, string> };
  return {
    subject: { identifier: entry.actor, roles: subject.roles ?? [], attributes: subject.attributes ?? {}, tags: subject.tags ?? {} },
    action: entry.action,
    resource: entry.resource,
    context: (entry.data.context ?? {}) as Record<string, unknown>,
  };
}

/** Why the candidate's answer for this request rests on a redacted value, or null when it does not. */
function redactedDependency(engine: PolicyEngine, request: PolicyRequest): string | null {
  if (isRedacted(request.resource) || isRedacted(request.action) || isRedacted(request.subject.identifier)) return 'the request\'s subject, action or resource was redacted';
  const rules = new Map(engine.policySet.rules.map((rule) => [rule.name, rule]));
  for (const step of engine.explain(request).steps) {
    if (step.outcome === 'not_reached') break;
    // A rule that failed on its action, resource or subject never looked at its constraints.
    if (step.outcome === 'not_matched' && /^(action|resource|subject) /.test(step.reason)) continue;
    for (const constraint of rules.get(step.rule)?.constraints ?? []) {
      if (isRedacted(lookup(request, constraint.key.split('.')))) return `rule ${step.rule} tests ${constraint.key}, which was redacted in the audit trail`;
    }
  }
  return null;
}

export function replayDecision(engine: PolicyEngine, entry: AuditEntry): ReplayOutcome | null {
  const request = recordedRequest(entry);
  if (!request) return null;
  const recorded: RecordedDecision = {
    operationId: entry.operationId, at: entry.at, actor: entry.actor, action: request.action, resource: request.resource,
    effect: entry.outcome ?? '?', rule: entry.rule,
  };
  const blocked = redactedDependency(engine, request);
  if (blocked) return { kind: 'cannot_replay', recorded, reason: blocked };
  const decision = engine.evaluate(request);
  if (decision.effect === recorded.effect && decision.rule === recorded.rule) return { kind: 'same', recorded };
  return { kind: 'changed', recorded, candidate: { effect: decision.effect, rule: decision.rule } };
}

export function whatIf(engine: PolicyEngine, entries: Iterable<AuditEntry>): WhatIfReport {
  const report: WhatIfReport = { candidate: { name: engine.policySet.name, version: engine.version }, replayed: 0, same: 0, changed: [], cannotReplay: [], byRulePair: [] };
  const pairs = new Map<string, WhatIfReport['byRulePair'][number]>();
  for (const entry of entries) {
    const outcome = replayDecision(engine, entry);
    if (!outcome) continue;
    report.replayed++;
    if (outcome.kind === 'same') report.same++;
    else if (outcome.kind === 'cannot_replay') report.cannotReplay.push(outcome);
    else {
      report.changed.push(outcome);
      const from = { effect: outcome.recorded.effect, rule: outcome.recorded.rule };
      const key = JSON.stringify([from, outcome.candidate]);
      const pair = pairs.get(key) ?? { from, to: outcome.candidate, count: 0 };
      pair.count++;
      pairs.set(key, pair);
    }
  }
  report.byRulePair = [...pairs.values()].sort((a, b) => b.count - a.count);
  return report;
}
