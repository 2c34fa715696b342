import { describe, expect, it } from 'vitest';
import { approvalsSoFar, tallyVote } from '../../../src/approval/tally.js';
import { openApproval } from '../../../src/approval/schedule.js';
import type { ApprovalVote } from '../../../src/operation/types.js';

const vote = (identifier: string, decision: 'approve' | 'reject' = 'approve'): ApprovalVote => ({ approver: { identifier }, decision, at: '2026-01-01T00:00:00Z' });

describe('tallyVote', () => {
  it('approves once N distinct people approved, pending until then', () => {
    const state = openApproval({ required: 2, timeoutMs: 60_000 }, 0);
    expect(tallyVote(state, vote('alice'))).toEqual({ kind: 'pending', approvals: 1, required: 2 });
    expect(tallyVote(state, vote('carol'))).toEqual({ kind: 'approved' });
    expect(approvalsSoFar(state)).toBe(2);
  });

  it('counts the same person once, whatever case or width their name is spelled in', () => {
    const state = openApproval({ required: 2, timeoutMs: 60_000 }, 0);
    tallyVote(state, vote('alice'));
    expect(tallyVote(state, vote('ALICE'))).toEqual({ kind: 'duplicate' });
    expect(tallyVote(state, vote('ａｌｉｃｅ'))).toEqual({ kind: 'duplicate' });
    expect(state.votes).toHaveLength(1);
  });

  it('ends the wait on one rejection, even after approvals', () => {
    const state = openApproval({ required: 3, timeoutMs: 60_000 }, 0);
    tallyVote(state, vote('alice'));
    const rejection = vote('carol', 'reject');
    expect(tallyVote(state, rejection)).toEqual({ kind: 'rejected', by: rejection });
    expect(state.votes.map((v) => v.decision)).toEqual(['approve', 'reject']);
  });
});
