import type pg from 'pg';
import type { ApprovalEvent, ApprovalEventSink } from '../src/operation/events.js';
import type { DecideRequest } from '../src/operation/schema.js';
import type { OperationStatusView } from '../src/operation/types.js';
import { approverMayDecide } from '../src/approval/authority.js';
import type { ApproverDirectory } from '../src/approval/directory.js';
import { createGrant } from '../src/approval/grants.js';
import type { GrantTerms } from '../src/approval/grantTerms.js';
import { checkVote, type VoteCheckDependencies, type VoteVerdict } from '../src/approval/vote.js';
import type { PolicyInForce } from '../src/patterns/policyInForce.js';
import type { PolicyRequest } from '../src/policy/types.js';
import {
  approvalDecisionEntry, approvalEscalatedEntry, approvalGrantedEntry, approvalRefusedEntry, approvalRequestedEntry, approvalVoteEntry,
  operationRefOf, type AuditEntryInput, type OperationRef,
} from '../src/audit/index.js';

export interface ApprovalActivityDependencies extends Omit<VoteCheckDependencies, 'engine'> {
  policies: PolicyInForce;
  directory: ApproverDirectory;
  approvals: ApprovalEventSink;
  /** Standing grants live here; absent without a database. */
  pool?: pg.Pool;
  record(entries: AuditEntryInput[]): Promise<void>;
}

export interface VoteCheckInput {
  operation: OperationRef;
  request: PolicyRequest;
  requestDigest: string;
  decision: DecideRequest;
  /** The set that decided the operation: authority is checked against it. */
  policyRole: string;
  /** The vote's number in this run: keys its audit entry. */
  attempt: number;
  /** Nonces of proofs the operation has already seen. */
  usedNonces: string[];
  escalatedRoles?: string[];
  /** Workflow time of the vote, so a retried check writes the same entry. */
  at: string;
}

export type CheckedVote =
  | { allowed: true; identifier: string; slackUserId?: string; nonce: string }
  | { allowed: false; reason: string; refusal: string; nonce?: string };

export function createApprovalActivities(deps: ApprovalActivityDependencies) {
  return {
    /** Verify a decision's proof and its approver's authority, and record the vote or its refusal. */
    async authorizeVote(args: VoteCheckInput): Promise<CheckedVote> {
      const verdict: VoteVerdict = await checkVote({ ...deps, engine: deps.policies.forRole(args.policyRole) }, {
        operationId: args.operation.operationId,
        request: args.request,
        requestDigest: args.requestDigest,
        decision: args.decision,
        usedNonces: args.usedNonces,
        escalatedRoles: args.escalatedRoles,
      });
      const { decision } = args;
      const vote = { approver: decision.approver, decision: decision.decision, channel: decision.channel, notes: decision.notes, at: args.at };
      if (!verdict.allowed) {
        await deps.record([approvalRefusedEntry(args.operation, { ...vote, reason: verdict.reason, refusal: verdict.refusal, attempt: args.attempt })]);
        return { allowed: false, reason: verdict.reason, refusal: verdict.refusal, ...(verdict.nonce ? { nonce: verdict.nonce } : {}) };
      }
      const identifier = verdict.approver.identifier;
      await deps.record([approvalVoteEntry(args.operation, { ...vote, approver: { identifier, slackUserId: decision.approver.slackUserId } })]);
      return { allowed: true, identifier, nonce: verdict.nonce, ...(decision.approver.slackUserId ? { slackUserId: decision.approver.slackUserId } : {}) };
    },

    /** Store the standing grant an approval asked for, once per approved operation. */
    async recordGrant(args: { operation: OperationRef & { requester: string; action: string; rule: string }; grantedBy: string; terms: GrantTerms }) {
      if (!deps.pool) throw new Error('standing grants need the database: start the worker with one');
      const grant = await createGrant(deps.pool, {
        requester: args.operation.requester, action: args.operation.action, rule: args.operation.rule, grantedBy: args.grantedBy,
        terms: args.terms, sourceOperation: args.operation.operationId,
      });
      const summary = { id: grant.id, scope: grant.scope, expiresAt: grant.expiresAt.toISOString(), uses: grant.maxUses };
      await deps.record([approvalGrantedEntry(args.operation, { grantId: grant.id, grantedBy: grant.grantedBy, scope: grant.scope, expiresAt: summary.expiresAt, maxUses: grant.maxUses })]);
      return summary;
    },

    /** Tell approvers (Slack or console) what happened; returns where the message lives. */
    async notifyApproval(event: ApprovalEvent): Promise<{ channel: string; ts: string } | undefined> {
      const entry = approvalAuditEntry(event);
      if (entry) await deps.record([entry]);
      if (event.kind !== 'reminder') return deps.approvals.notify(event);
      // A reminder names the people who could act now: the same check a vote gets.
      const { input, approval } = event.view;
      const request = { subject: input.subject, action: input.action, resource: input.resource };
      const escalatedRoles = approval?.escalated ? approval.escalatedTo?.roles : undefined;
      const mentions: string[] = [];
      for (const approver of await deps.directory.withRoles([])) {
        if (!approver.slackUserId) continue;
        if (approverMayDecide({ identifier: approver.identifier, approver, request, engine: deps.policies.forRole(event.view.policyRole), escalatedRoles }).allowed) mentions.push(approver.slackUserId);
      }
      return deps.approvals.notify({ ...event, mentions });
    },
  };
}

/** What an approval event puts in the audit trail (progress and reminders add nothing). */
function approvalAuditEntry(event: ApprovalEvent): AuditEntryInput | null {
  const view: OperationStatusView = event.view;
  const op = operationRefOf(view.id, view.input, view.decision?.rule);
  const approval = view.approval;
  if (!approval) return null;
  switch (event.kind) {
    case 'requested':
      return approvalRequestedEntry(op, { required: approval.required, deadline: approval.deadline }, approval.requestedAt);
    case 'escalated':
      return approvalEscalatedEntry(op, event.plan.escalateTo ?? {});
    case 'closed': {
      const deciding = event.outcome === 'approved' || event.outcome === 'rejected' ? approval.votes.at(-1) : undefined;
      return approvalDecisionEntry(op, event.outcome, { decidedBy: deciding?.approver.identifier, votes: approval.votes, notes: deciding?.notes });
    }
    default:
      return null;
  }
}
