/**
 * The contracts between the Slack side and the rest of Tollgate. The Bolt handlers talk to
 * workflows through `ApprovalGateway` (implemented by GovernanceClient), so nothing under
 * src/slack imports Temporal.
 */
import type { DecideResult, GrantRequest } from '../operation/schema.js';
import type { ApprovalVote, OperationStatusView } from '../operation/types.js';
import type { PolicySubject } from '../policy/types.js';

/** A click the Bolt handlers have verified (signature, replay guard, directory). */
export interface SlackDecision {
  operationId: string;
  /** The directory identity of the Slack user who clicked. */
  identity: string;
  slackUserId: string;
  channel: 'slack';
  decision: 'approve' | 'reject';
  notes?: string;
  grant?: GrantRequest;
}

/**
 * Implemented by the service's decision service (src/service/decisions.ts), which signs the
 * decision and sends the `decide` Update; lets the Bolt handlers work without importing Temporal.
 */
export interface ApprovalGateway {
  /** null when no such workflow exists */
  describe(operationId: string): Promise<{ view: OperationStatusView; running: boolean } | null>;
  decide(decision: SlackDecision): Promise<{ ok: true; result: DecideResult } | { ok: false; reason: string }>;
}

export type { DirectoryApprover, ApproverDirectory } from '../approval/directory.js';

export interface ApproverRef {
  identifier: string;
  slackUserId?: string;
}

/** Everything the approval message shows. Built from the workflow's status view by `approvalMessageInput`. */
export interface ApprovalMessageInput {
  operationId: string;
  /** The requester. */
  subject: PolicySubject;
  action: string;
  resource: string;
  rule: {
    name: string | null;
    description?: string | null;
    /** The matching rule's metadata; `slackChannel` routes the request to another channel. */
    metadata?: Record<string, unknown>;
  };
  policy?: { set: string; version: string };
  estimatedCost?: number;
  /** Raw request context; the builders redact it. */
  context?: Record<string, unknown>;
  /** ISO time after which the request expires. */
  deadline: string;
  /** ISO time the approval was requested; bounds the idempotency scan of channel history. */
  requestedAt?: string;
  requiredApprovals: number;
  temporal: { uiUrl: string; namespace: string };
}

export interface ApprovalProgress {
  required: number;
  votes: readonly ApprovalVote[];
  /** Set once the request was escalated, so the original message says so. */
  escalated?: boolean;
  escalatedTo?: { channel?: string; roles?: string[] };
}

export type { ApprovalOutcome as ApprovalOutcomeKind } from '../operation/contract.js';
import type { ApprovalOutcome as ApprovalOutcomeKind } from '../operation/contract.js';

export interface ApprovalOutcome {
  outcome: ApprovalOutcomeKind;
  /** Who decided; several approvers when a quorum approved. Empty for expiry. */
  decidedBy?: ApproverRef | readonly ApproverRef[];
  /** ISO time of the decision. */
  at: string;
  note?: string;
}

export interface EscalationInput extends ApprovalMessageInput {
  escalateTo?: {
    /** Approver roles to mention; resolved through the directory when the notifier has one. */
    roles?: string[];
    /** Slack user ids to mention directly. */
    mentions?: string[];
  };
}

/** The ledger's alert: one per level, entity, period and threshold. */
export type { BudgetAlert } from '../budget/alerts.js';

export interface SlackMessage {
  text: string;
  blocks: unknown[];
}

export interface MessageRef {
  channel: string;
  ts: string;
}

export type { Queryable } from '../store/connect.js';
