import type { PolicyDecision } from '../policy/types.js';
import type { OperationInput } from './schema.js';

export type OperationStatus =
  | 'evaluating'
  | 'awaiting_approval'
  | 'executing'
  | 'completed'
  | 'denied'
  | 'rejected'
  | 'expired'
  | 'cancelled'
  | 'failed';

export const TERMINAL_STATUSES: readonly OperationStatus[] = ['completed', 'denied', 'rejected', 'expired', 'cancelled', 'failed'];

export interface ApprovalVote {
  approver: { identifier: string; slackUserId?: string };
  decision: 'approve' | 'reject';
  notes?: string;
  /** ISO time the workflow accepted the vote. */
  at: string;
}

export interface RefusedVote extends ApprovalVote {
  reason: string;
}

export interface ApprovalState {
  required: number;
  votes: ApprovalVote[];
  refused: RefusedVote[];
  /** ISO deadline after which the request expires. */
  deadline: string;
  requestedAt: string;
  escalated: boolean;
  escalatedTo?: { channel?: string; roles?: string[] };
  /** Where the approval message lives, so later updates edit the same message. */
  message?: { channel: string; ts: string };
}

/** What the `status` query returns. */
export interface OperationStatusView {
  id: string;
  status: OperationStatus;
  input: OperationInput;
  decision?: PolicyDecision;
  approval?: ApprovalState;
  error?: string;
}

/** What the workflow returns when it completes. */
export interface OperationResult {
  id: string;
  status: 'completed';
  decision: PolicyDecision;
  approval?: ApprovalState;
  result?: unknown;
  /** What was committed against the budgets (the handler's actualCost, else the estimate). */
  cost?: number;
}
