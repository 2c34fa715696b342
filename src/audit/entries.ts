/**
 * One builder per entry type: what each step of a governed operation records, and under
 * which key. Keys depend only on the operation id and the step (never on the attempt or the
 * clock), so an activity that is retried writes the same key and `append` keeps one entry.
 * Pass `at` from the workflow's clock so a retry carries the same time as well.
 *
 * Common columns: `operationId` (the workflow id), `actor` (who acted), `action` and
 * `resource` (what the operation is), `outcome`, `rule` (the rule that decided, if any).
 */
import type { ApprovalOutcome } from '../operation/contract.js';
import type { PolicyDecision, PolicyRequest } from '../policy/types.js';
import type { AuditEntryInput, AuditEntryType } from './types.js';

type At = Date | string | undefined;

/** What the operation is, repeated on its entries so each reads on its own. */
export interface OperationRef {
  operationId: string;
  /** The requesting subject's identifier. */
  requester?: string;
  action?: string;
  resource?: string;
  /** The rule that decided the operation (for approval entries: the one that required approval). */
  rule?: string | null;
}

export const auditKey = (operationId: string, type: AuditEntryType, ...parts: readonly (string | number)[]): string =>
  [operationId, type, ...parts].join(':');

function base(op: OperationRef, type: AuditEntryType, at: At, ...keyParts: (string | number)[]): AuditEntryInput {
  return {
    key: auditKey(op.operationId, type, ...keyParts),
    type,
    at,
    operationId: op.operationId,
    actor: op.requester ?? null,
    action: op.action ?? null,
    resource: op.resource ?? null,
    rule: op.rule ?? null,
  };
}

/**
 * policy_decision: outcome = effect. data: `{ reason, policySet, policyVersion, metadata,
 * subject: { roles, attributes, tags }, context, droppedClaims? }` (the seed's fields; context
 * redacted; droppedClaims: context keys the caller sent that only enrichers may set; policyRole:
 * enforced, or which side of a rollout decided).
 */
export function policyDecisionEntry(
  operationId: string, request: PolicyRequest, decision: PolicyDecision, at?: At,
  detail: { droppedClaims?: readonly string[]; policyRole?: string } = {},
): AuditEntryInput {
  return {
    ...base({ operationId, requester: request.subject.identifier, action: request.action, resource: request.resource, rule: decision.rule }, 'policy_decision', at),
    outcome: decision.effect,
    data: {
      reason: decision.reason,
      policySet: decision.policySet,
      policyVersion: decision.policyVersion,
      metadata: decision.metadata,
      subject: { roles: request.subject.roles ?? [], attributes: request.subject.attributes ?? {}, tags: request.subject.tags ?? {} },
      context: request.context ?? {},
      ...(detail.droppedClaims?.length ? { droppedClaims: [...detail.droppedClaims] } : {}),
      ...(detail.policyRole ? { policyRole: detail.policyRole } : {}),
    },
  };
}

/** approval_requested: data `{ required, deadline, approverRoles?, message?: { channel, ts } }`. */
export function approvalRequestedEntry(
  op: OperationRef,
  request: { required: number; deadline: string; approverRoles?: readonly string[]; message?: { channel: string; ts: string } },
  at?: At,
): AuditEntryInput {
  return { ...base(op, 'approval_requested', at), outcome: 'pending', data: { ...request } };
}

export interface VoteRef {
  approver: { identifier: string; slackUserId?: string };
  decision: 'approve' | 'reject';
  channel?: string;
  notes?: string;
  at?: string;
  /** Why a refused vote did not count, as a code (missing, bad_signature, reused, authority…). */
  refusal?: string;
}

/** approval_vote: actor = approver, outcome = approve | reject. data `{ slackUserId?, notes? }`. One per approver. */
export function approvalVoteEntry(op: OperationRef, vote: VoteRef): AuditEntryInput {
  return {
    ...base(op, 'approval_vote', vote.at, vote.approver.identifier),
    actor: vote.approver.identifier,
    outcome: vote.decision,
    data: { slackUserId: vote.approver.slackUserId, channel: vote.channel, notes: vote.notes },
  };
}

/**
 * approval_refused: a decision that did not count (no or bad proof, a replay, no authority).
 * actor = who it claimed to come from, outcome = what it tried. data `{ reason, refusal?, channel?,
 * slackUserId?, notes? }`. Keyed by the operation's attempt number: every attempt is its own event.
 */
export function approvalRefusedEntry(op: OperationRef, vote: VoteRef & { reason: string; at: string; attempt?: number }): AuditEntryInput {
  return {
    ...base(op, 'approval_refused', vote.at, ...(vote.attempt !== undefined ? [vote.attempt] : [vote.approver.identifier, vote.at])),
    actor: vote.approver.identifier,
    outcome: vote.decision,
    data: { reason: vote.reason, refusal: vote.refusal, channel: vote.channel, slackUserId: vote.approver.slackUserId, notes: vote.notes },
  };
}

/** approval_escalated: data `{ channel?, roles? }` (where the request went). */
export function approvalEscalatedEntry(op: OperationRef, to: { channel?: string; roles?: readonly string[] }, at?: At): AuditEntryInput {
  return { ...base(op, 'approval_escalated', at), actor: 'system', data: { ...to } };
}

/**
 * approval_decision: outcome = approved | rejected | expired | cancelled; actor = the
 * approver whose vote settled it, or `system` for a timeout or cancellation.
 * data `{ votes: [{ approver, decision, at }], notes? }`.
 */
export function approvalDecisionEntry(
  op: OperationRef,
  outcome: ApprovalOutcome,
  detail: { decidedBy?: string; votes?: readonly VoteRef[]; notes?: string; grant?: { grantId: string; grantedBy: string; grantedAt: string } },
  at?: At,
): AuditEntryInput {
  return {
    ...base(op, 'approval_decision', at),
    actor: detail.decidedBy ?? 'system',
    outcome,
    data: {
      votes: (detail.votes ?? []).map((vote) => ({ approver: vote.approver.identifier, decision: vote.decision, at: vote.at })),
      notes: detail.notes,
      ...(detail.grant ? { grant: detail.grant } : {}),
    },
  };
}

/** operation_started: data `{ operation?, args? }` (the registered operation and its arguments, redacted). */
export function operationStartedEntry(op: OperationRef, detail: { operation?: string; args?: unknown }, at?: At): AuditEntryInput {
  return { ...base(op, 'operation_started', at), outcome: 'executing', data: { operation: detail.operation, args: detail.args } };
}

/**
 * operation_completed: outcome = completed. data `{ cost?, ... }`: what was committed, and facts
 * the handler's worker reported about the result (the MCP gateway: its digest, whether the tool erred).
 */
export function operationCompletedEntry(op: OperationRef, detail: { cost?: number } & Record<string, unknown>, at?: At): AuditEntryInput {
  return { ...base(op, 'operation_completed', at), outcome: 'completed', data: { ...detail } };
}

/** operation_failed: outcome = failed. data `{ error, errorType? }`. */
export function operationFailedEntry(op: OperationRef, detail: { error: string; errorType?: string }, at?: At): AuditEntryInput {
  return { ...base(op, 'operation_failed', at), outcome: 'failed', data: { error: detail.error, errorType: detail.errorType } };
}

/** operation_cancelled: outcome = cancelled. data `{ reason? }`. */
export function operationCancelledEntry(op: OperationRef, detail: { reason?: string }, at?: At): AuditEntryInput {
  return { ...base(op, 'operation_cancelled', at), outcome: 'cancelled', data: { reason: detail.reason } };
}

export type BudgetEntryType = 'budget_reserved' | 'budget_committed' | 'budget_released';

/**
 * budget_reserved / _committed / _released: data `{ amount, user?, team?, period?,
 * estimated?, actual?, reason? }` (amount in currency units: reserved, committed, released,
 * (corrections by hand are budgetAdjustmentEntry).
 */
export function budgetEntry(
  type: BudgetEntryType,
  op: OperationRef,
  detail: { amount: number; user?: string; team?: string; period?: string; estimated?: number; actual?: number; reason?: string },
  at?: At,
): AuditEntryInput {
  return { ...base(op, type, at), data: { ...detail } };
}

/**
 * budget_alert: no operation. actor = the entity, outcome = the threshold crossed.
 * data `{ level, entity, period, periodKind, threshold, spent, limit, percent }`.
 */
export function budgetAlertEntry(alert: {
  level: string; entity: string; period: string; periodKind: string; threshold: number; spent: number; limit: number; percent: number; createdAt?: Date;
}): AuditEntryInput {
  const { createdAt, ...data } = alert;
  return {
    key: ['budget_alert', alert.level, alert.entity, alert.period, alert.threshold].join(':'),
    type: 'budget_alert',
    at: createdAt,
    actor: alert.entity,
    outcome: `${Math.round(alert.threshold * 100)}%`,
    data,
  };
}

/** The OperationRef of a request: what every entry of its operation repeats. */
export const operationRefOf = (operationId: string, request: { subject: { identifier: string }; action: string; resource: string }, rule?: string | null): OperationRef =>
  ({ operationId, requester: request.subject.identifier, action: request.action, resource: request.resource, rule: rule ?? null });

/**
 * approval_granted: an approver approved and granted the same for a while. actor = the approver.
 * data `{ grantId, scope, expiresAt, maxUses, requester }`.
 */
export function approvalGrantedEntry(op: OperationRef, grant: { grantId: string; grantedBy: string; scope: string; expiresAt: string; maxUses: number }, at?: At): AuditEntryInput {
  return {
    ...base(op, 'approval_granted', at),
    actor: grant.grantedBy,
    outcome: 'granted',
    data: { grantId: grant.grantId, scope: grant.scope, expiresAt: grant.expiresAt, maxUses: grant.maxUses, requester: op.requester },
  };
}

/** grant_revoked: no operation. actor = who revoked it. data `{ grantId, requester, action, scope }`. */
export function grantRevokedEntry(grant: { grantId: string; requester: string; action: string; scope: string }, actor: string, at?: At): AuditEntryInput {
  return { key: ['grant_revoked', grant.grantId].join(':'), type: 'grant_revoked', at, actor, action: grant.action, outcome: 'revoked', data: { ...grant } };
}

/** approver_token_created / _revoked: no operation. actor = who ran the command. data `{ tokenId, identifier?, expiresAt? }`; never the token. */
export function approverTokenEntry(
  type: 'approver_token_created' | 'approver_token_revoked',
  token: { tokenId: string; identifier?: string; expiresAt?: string | null },
  actor: string,
  at?: At,
): AuditEntryInput {
  return { key: [type, token.tokenId].join(':'), type, at, actor, outcome: type === 'approver_token_created' ? 'created' : 'revoked', data: { ...token } };
}

/**
 * policy_shadow_divergence: the shadow set would have decided otherwise. outcome = the shadow's
 * effect. data `{ enforced: { effect, rule, policySet, policyVersion }, shadow: { … } }`.
 */
export function policyShadowDivergenceEntry(op: OperationRef, divergence: { enforced: Record<string, unknown> & { effect: string }; shadow: Record<string, unknown> & { effect: string } }, at?: At): AuditEntryInput {
  return { ...base(op, 'policy_shadow_divergence', at), outcome: divergence.shadow.effect, data: { enforced: divergence.enforced, shadow: divergence.shadow } };
}

/**
 * policy_loaded: a policy set came into force (start-up or hot reload). actor = the process that
 * loaded it. data `{ role, file, name, version, previous? }`. Each load is its own event.
 */
export function policyLoadedEntry(loaded: { role: string; file: string; name: string; version: string; previous?: string }, actor: string, at: Date = new Date()): AuditEntryInput {
  return { key: ['policy_loaded', actor, loaded.role, at.toISOString()].join(':'), type: 'policy_loaded', at, actor, outcome: 'loaded', data: { ...loaded } };
}

/** rollout_changed: `tollgate rollout set`. actor = who. data `{ percentage, previous }`. */
export function rolloutChangedEntry(change: { percentage: number; previous: number | null; at: Date }, actor: string): AuditEntryInput {
  return { key: ['rollout_changed', change.at.toISOString()].join(':'), type: 'rollout_changed', at: change.at, actor, outcome: `${change.percentage}%`, data: { percentage: change.percentage, previous: change.previous } };
}

/**
 * budget_overrun: the operation cost more than it reserved and the difference did not fit a
 * limit. outcome = recorded (charged in full) | unpaid (the excess was not charged). data
 * `{ reserved, reported, charged, unpaid, period, levels: [{ level, entity, limit, used, ceiling }] }`.
 * One per operation: a retried commit reports the same overrun.
 */
export function budgetOverrunEntry(
  op: OperationRef,
  overrun: { reserved: number; reported: number; charged: number; unpaid: number; period: string; levels: readonly object[] },
  at?: At,
): AuditEntryInput {
  const { reserved, reported, charged, unpaid, period, levels } = overrun;
  return {
    ...base(op, 'budget_overrun', at),
    outcome: unpaid > 0 ? 'unpaid' : 'recorded',
    data: { reserved, reported, charged, unpaid, period, levels: levels.map((level) => ({ ...level })) },
  };
}

/**
 * budget_adjusted for a cost corrected by hand (`tollgate budget adjust`, adjustCost): actor =
 * who corrected it. data `{ amount (the signed correction), previous, actual, unpaid (what it
 * settled), user, team?, period, reason? }`. Keyed by the ledger's journal entry, so each
 * correction is one entry however often it is retried, and a return to an earlier amount is new.
 */
export function budgetAdjustmentEntry(adjustment: {
  operationId: string; entry: number; actor: string; amount: number; previous: number; actual: number; unpaid: number;
  user?: string; team?: string; period?: string; reason?: string; at: At;
}): AuditEntryInput {
  const { operationId, entry, actor, at, ...data } = adjustment;
  return { ...base({ operationId }, 'budget_adjusted', at, 'entry', entry), actor, data };
}

/**
 * budget_limit_set: a run-time limit set, lifted (limit null: unlimited) or cleared back to
 * the config file's. No operation; actor = who changed it; outcome = where the limit now
 * comes from (override | config). data `{ level, entity, limit, previous, reason? }` (the
 * limits in force after and before). Keyed by the ledger's change id.
 */
export function budgetLimitSetEntry(change: {
  change: number; level: string; entity: string; overridden: boolean; limit: number | null; previous: number | null;
  actor: string; reason?: string; at: At;
}): AuditEntryInput {
  const { change: id, overridden, actor, at, ...data } = change;
  return { key: `budget_limit_set:${id}`, type: 'budget_limit_set', at, actor, outcome: overridden ? 'override' : 'config', data };
}
