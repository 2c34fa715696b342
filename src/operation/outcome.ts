/** What an operation's ending says to the caller, the status view and the audit trail. Pure. */
import type { PolicyDecision } from '../policy/types.js';
import type { ApprovalState } from './types.js';

export function deniedMessage(decision: Pick<PolicyDecision, 'rule' | 'reason'>): string {
  return `denied by ${decision.rule ? `rule ${decision.rule}` : 'the default effect'}${decision.reason ? `: ${decision.reason}` : ''}`;
}

export function rejectedMessage(approval: Pick<ApprovalState, 'votes'>): string {
  const last = approval.votes.at(-1);
  return `rejected by ${last?.approver.identifier ?? 'an approver'}${last?.notes ? `: ${last.notes}` : ''}`;
}

export const expiredMessage = (approval: Pick<ApprovalState, 'deadline'>): string => `no decision before the deadline ${approval.deadline}`;

export const failedMessage = (operation: string, reason: string): string => `operation ${operation} failed: ${reason}`;

/**
 * The message and failure type that caused an activity failure: Temporal wraps the handler's
 * error in an ActivityFailure whose `cause` is the ApplicationFailure the activity threw.
 */
export function failureCause(error: unknown): { message: string; type?: string } {
  const outer = error as { message?: string; cause?: unknown };
  const inner = outer?.cause as { message?: unknown; type?: unknown } | undefined;
  if (inner && typeof inner.message === 'string') return { message: inner.message, ...(typeof inner.type === 'string' ? { type: inner.type } : {}) };
  return { message: outer?.message ?? String(error) };
}
