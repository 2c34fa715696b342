import type { ApprovalState, ApprovalVote } from '../operation/types.js';
import { sameIdentity } from './identity.js';

export type TallyOutcome =
  | { kind: 'approved' }
  | { kind: 'rejected'; by: ApprovalVote }
  | { kind: 'pending'; approvals: number; required: number }
  | { kind: 'duplicate' };

export const approvalsSoFar = (state: Pick<ApprovalState, 'votes'>): number => state.votes.filter((v) => v.decision === 'approve').length;

/**
 * Count an authorised vote: one reject ends the wait; N distinct people approve. People are
 * compared by their directory identity in canonical form, so one person voting through Slack and
 * then through the API counts once. Pure and deterministic, so the workflow can call it.
 */
export function tallyVote(state: ApprovalState, vote: ApprovalVote): TallyOutcome {
  if (vote.decision === 'reject') {
    state.votes.push(vote);
    return { kind: 'rejected', by: vote };
  }
  const already = state.votes.some((v) => v.decision === 'approve' && sameIdentity(v.approver.identifier, vote.approver.identifier));
  if (already) return { kind: 'duplicate' };
  state.votes.push(vote);
  const approvals = approvalsSoFar(state);
  return approvals >= state.required ? { kind: 'approved' } : { kind: 'pending', approvals, required: state.required };
}
