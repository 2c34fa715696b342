import type { PolicyDecision } from '../policy/types.js';
import type { ApprovalOutcome } from './contract.js';
import type { DecisionChannel, OperationInput } from './schema.js';

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
  /** The directory's identity for the approver (canonical), whichever channel they used. */
  approver: { identifier: string; slackUserId?: string };
  decision: 'approve' | 'reject';
  channel?: DecisionChannel;
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
  /** Set once the wait has ended. */
  outcome?: ApprovalOutcome;
  /** A standing grant that approved this operation without a wait. */
  grantedBy?: StandingGrantUse;
}

/** "approved by grant G (granted by alice at …)". */
export interface StandingGrantUse {
  grantId: string;
  grantedBy: string;
  grantedAt: string;
  expiresAt: string;
  scope: string;
}

/** What the `status` query returns. */
export interface OperationStatusView {
  id: string;
  status: OperationStatus;
  input: OperationInput;
  decision?: PolicyDecision;
  /** What decision proofs for this operation must be bound to (src/approval/proof.ts). */
  requestDigest?: string;
  /** Which policy set decided: `enforced`, or the rollout's `strict` or `permissive` set. */
  policyRole?: 'enforced' | 'strict' | 'permissive';
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
