import type { ApprovalState, ApprovalVote } from '../operation/types.js';

export type TallyOutcome =
  | { kind: 'approved' }
  | { kind: 'rejected'; by: ApprovalVote }
  | { kind: 'pending'; approvals: number; required: number }
  | { kind: 'duplicate' };

/**
 * Count an authorised vote: one reject ends the wait; N distinct approvers approve.
 * Pure and deterministic, so the workflow can call it.
 */
export function tallyVote(state: ApprovalState, vote: ApprovalVote): TallyOutcome {
  if (vote.decision === 'reject') {
    state.votes.push(vote);
    return { kind: 'rejected', by: vote };
  }
  const already = state.votes.some((v) => v.decision === 'approve' && v.approver.identifier === vote.approver.identifier);
  if (already) return { kind: 'duplicate' };
  state.votes.push(vote);
  const approvals = state.votes.filter((v) => v.decision === 'approve').length;
  return approvals >= state.required ? { kind: 'approved' } : { kind: 'pending', approvals, required: state.required };
}
