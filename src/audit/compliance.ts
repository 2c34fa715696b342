import type { ApprovalDecisionEvent, ApprovalOutcome, ComplianceEvent, PolicyDecisionEvent } from '../patterns/compliance.js';
import { POLICY_EFFECTS, type PolicyEffect } from '../policy/types.js';
import type { AuditEntry } from './types.js';

/** The entry types a compliance report reads; query only these to build one. */
export const COMPLIANCE_ENTRY_TYPES = ['policy_decision', 'approval_decision'] as const;

const APPROVAL_OUTCOMES: readonly string[] = ['approved', 'rejected', 'expired', 'cancelled'] satisfies ApprovalOutcome[];

/**
 * The audit record as `complianceReport` reads it: policy decisions and approval outcomes,
 * each with its operation id (which pairs a require_approval with its resolution) and its
 * place in the chain (`seq`, `hash`) so a violation in a report can be traced to its entry.
 * Other entry types, and entries whose outcome this version does not know, are left out.
 */
export function complianceEvents(entries: Iterable<AuditEntry>): ComplianceEvent[] {
  const events: ComplianceEvent[] = [];
  for (const entry of entries) {
    const trace = {
      at: entry.at,
      seq: entry.seq,
      hash: entry.hash,
      ...(entry.operationId !== null ? { operationId: entry.operationId } : {}),
      ...(entry.actor !== null ? { actor: entry.actor } : {}),
      ...(entry.action !== null ? { action: entry.action } : {}),
      ...(entry.resource !== null ? { resource: entry.resource } : {}),
    };
    if (entry.type === 'policy_decision' && (POLICY_EFFECTS as readonly (string | null)[]).includes(entry.outcome)) {
      const event: PolicyDecisionEvent = {
        type: 'policy_decision',
        rule: entry.rule,
        effect: entry.outcome as PolicyEffect,
        ...trace,
        ...(typeof entry.data.reason === 'string' ? { reason: entry.data.reason } : {}),
      };
      events.push(event);
    } else if (entry.type === 'approval_decision' && entry.outcome !== null && APPROVAL_OUTCOMES.includes(entry.outcome)) {
      const event: ApprovalDecisionEvent = {
        type: 'approval_decision',
        rule: entry.rule,
        outcome: entry.outcome as ApprovalOutcome,
        ...trace,
      };
      events.push(event);
    }
  }
  return events;
}
