import { OperationDeniedError, type OperationOutcomeError } from '../client/errors.js';
import type { OperationStatusView } from '../operation/types.js';
import { FailureType } from '../operation/contract.js';

/**
 * What an agent is told when a governed call did not run (yet): machine-readable, naming the rule
 * and policy version, and saying what would change the outcome, so the agent can act on it rather
 * than retry blindly.
 */
export interface Refusal {
  outcome: 'denied' | 'rejected' | 'expired' | 'cancelled' | 'failed' | 'pending';
  operationId: string;
  reason: string;
  rule?: string | null;
  policySet?: string;
  policyVersion?: string;
  /** What would change the outcome. */
  remedy: string;
}

/** A deny rule may say what would change its outcome in `metadata.remedy`; it is shown to the agent. */
const ruleRemedy = (metadata: Record<string, unknown> | undefined) => (typeof metadata?.remedy === 'string' ? metadata.remedy : undefined);

export function refusalOf(error: OperationOutcomeError): Refusal {
  const base = { operationId: error.operationId, reason: error.message };
  if (error instanceof OperationDeniedError) {
    if (error.failureType === FailureType.BudgetExceeded) {
      return { ...base, outcome: 'denied', remedy: 'A budget for this period would be exceeded: wait for the next period, or ask for a higher limit or a cheaper call.' };
    }
    const decision = error.decision;
    if (!decision) return { ...base, outcome: 'denied', remedy: 'The same call will be denied again.' };
    const remedy = ruleRemedy(decision.metadata)
      ?? (decision.rule
        ? 'The same call will be denied again: change what the reason names (for example the arguments), or ask an operator to change the policy.'
        : 'No rule allows this call and the policy denies by default: an operator must add a rule that allows it or asks for approval.');
    return {
      ...base, outcome: 'denied', reason: decision.reason ?? error.message,
      rule: decision.rule, policySet: decision.policySet, policyVersion: decision.policyVersion, remedy,
    };
  }
  switch (error.status) {
    case 'rejected':
      return { ...base, outcome: 'rejected', remedy: 'An approver rejected this call: do not repeat it unchanged; address their note or ask them directly.' };
    case 'expired':
      return { ...base, outcome: 'expired', remedy: 'Nobody decided before the deadline. Ask again as a new request, or ask an approver to look at it.' };
    case 'cancelled':
      return { ...base, outcome: 'cancelled', remedy: 'The request was cancelled before it ran; ask again if it is still needed.' };
    default:
      return { ...base, outcome: 'failed', remedy: 'The call was allowed but failed while running; it was not retried. Check the error before trying again.' };
  }
}

/** Where an approval wait stands, in words: "waiting for approval under rule R (0 of 1 approvals, deadline D)". */
export function approvalWaitText(view: OperationStatusView): string {
  const approval = view.approval;
  const approvals = approval ? approval.votes.filter((vote) => vote.decision === 'approve').length : 0;
  const waiting = approval ? ` (${approvals} of ${approval.required} approvals, deadline ${approval.deadline})` : '';
  return `waiting for approval${view.decision?.rule ? ` under rule ${view.decision.rule}` : ''}${waiting}`;
}

/** Where a running operation stands, in words, for progress notifications and task status messages. */
export function progressText(view: OperationStatusView): string {
  switch (view.status) {
    case 'evaluating': return 'Tollgate is evaluating the policy';
    case 'awaiting_approval': return approvalWaitText(view);
    case 'executing': return 'allowed; the tool is running';
    default: return `Tollgate: ${view.status}`;
  }
}

/** A call still under way (usually waiting for a person) when the caller stopped waiting; `retry` says how to pick it up. */
export function pendingRefusal(view: OperationStatusView, retry: string): Refusal {
  return {
    outcome: 'pending',
    operationId: view.id,
    reason: progressText(view),
    rule: view.decision?.rule,
    policySet: view.decision?.policySet,
    policyVersion: view.decision?.policyVersion,
    remedy: retry,
  };
}

/** One paragraph a model reads as a tool error. */
export function refusalText(refusal: Refusal): string {
  const policy = refusal.policySet ? ` (${refusal.rule ? `rule ${refusal.rule}, ` : ''}policy ${refusal.policySet}@${refusal.policyVersion})` : '';
  const lead = refusal.outcome === 'denied' ? `Tollgate denied this call${policy}`
    : refusal.outcome === 'pending' ? `Tollgate is still holding this call${policy}`
    : `Tollgate did not run this call: ${refusal.outcome}`;
  return `${lead}: ${refusal.reason}. ${refusal.remedy} (operation ${refusal.operationId})`;
}

/**
 * A governed tool call or graph step that Tollgate did not let run. The message is written for a
 * model to read; `refusal` is the same as data; `cause` is the client's typed outcome error
 * (OperationDeniedError, OperationRejectedError, ...).
 */
export class CallRefusedError extends Error {
  readonly refusal: Refusal;
  constructor(readonly call: string, cause: OperationOutcomeError) {
    const refusal = refusalOf(cause);
    super(refusalText(refusal), { cause });
    this.name = 'CallRefusedError';
    this.refusal = refusal;
  }
}
