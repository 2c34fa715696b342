import { ApplicationFailure, Context } from '@temporalio/activity';
import type { TollgateConfig } from '../src/config.js';
import { OperationInputSchema, type OperationInput } from '../src/operation/schema.js';
import { policyRequestFor } from '../src/operation/request.js';
import { isCostedResult, UnknownOperationError, type OperationRegistry } from '../src/operation/registry.js';
import { approvalPlan, ApprovalMetadataError, type ApprovalPlan } from '../src/approval/plan.js';
import { APPROVAL_ACTION, approverMayDecide, approverSubject, type AuthorityVerdict } from '../src/approval/authority.js';
import type { PolicyEngine } from '../src/policy/engine.js';
import type { PolicyDecision, PolicyRequest } from '../src/policy/types.js';
import type { ApprovalState } from '../src/operation/types.js';
import type { ApprovalEvent, ApprovalEventSink } from '../src/operation/events.js';
import { budgetEntities, readsBudgetContext } from '../src/budget/index.js';
import { createApproverDirectory } from '../src/slack/directory.js';
import type { ApproverDirectory } from '../src/slack/types.js';
import { createBudgetActivities, type BudgetDependencies } from './budget.js';
import {
  approvalDecisionEntry, approvalEscalatedEntry, approvalRefusedEntry, approvalRequestedEntry, approvalVoteEntry,
  operationCompletedEntry, policyDecisionEntry, type AuditEntryInput, type AuditTrail, type OperationRef,
} from '../src/audit/index.js';
import type { OperationStatusView } from '../src/operation/types.js';

export interface ActivityDependencies {
  config: TollgateConfig;
  engine: PolicyEngine;
  operations: OperationRegistry;
  approvals: ApprovalEventSink;
  /** Extra policy context for a request (tenancy, detectors); computed keys win. */
  enrich?: (input: OperationInput) => Promise<Record<string, unknown>>;
  /** Who may approve: config approvers plus Slack user-group members; defaults to config only. */
  directory?: ApproverDirectory;
  /** The audit trail; null for a worker without a database (then only Temporal's history records the steps). */
  audit?: AuditTrail | null;
  /** The budget ledger; null for a worker without a database (operations with a cost then fail). */
  budget: BudgetDependencies | null;
}

export interface Evaluation {
  request: PolicyRequest;
  decision: PolicyDecision;
  plan?: ApprovalPlan;
}

/** Activities are thin adapters: each validates its input, calls into src/, and types its failures. */
export function createActivities(deps: ActivityDependencies) {
  const directory = deps.directory ?? createApproverDirectory(deps.config);
  const needsBudgetContext = readsBudgetContext(deps.engine.compiled.contextKeys);
  async function verdictFor(identifier: string, request: PolicyRequest, escalatedRoles?: string[]): Promise<AuthorityVerdict> {
    const approver = await directory.byIdentifier(identifier);
    // The approver's own request goes through the same enrichers (tenancy and so on) as any other.
    const context = approver && deps.enrich
      ? await deps.enrich({ subject: approverSubject(approver), action: APPROVAL_ACTION, resource: request.resource })
      : undefined;
    return approverMayDecide({ identifier, request, escalatedRoles, context, approver, engine: deps.engine });
  }

  // Entries are keyed by operation and step, so a retried activity appends nothing twice.
  const record = async (entries: AuditEntryInput[]) => {
    if (deps.audit) await deps.audit.append(entries);
  };

  return {
    ...createBudgetActivities(deps.budget, record),

    /** For the steps no other activity covers (failure, cancellation): off the happy path. */
    async recordAudit(entries: AuditEntryInput[]): Promise<void> {
      await record(entries);
    },

    async evaluatePolicy(raw: unknown): Promise<Evaluation> {
      const parsed = OperationInputSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw ApplicationFailure.nonRetryable(`invalid operation: ${issue.path.join('.') || 'input'}: ${issue.message}`, 'InvalidOperation');
      }
      const input = parsed.data;
      const computed = { ...(await deps.enrich?.(input)) };
      // Only when the policy reads it: the query is a round trip per evaluation.
      if (deps.budget && needsBudgetContext) {
        // Spend and reservations so far, so the seed's budget rules (user_budget_exceeded, ...) work unchanged.
        const entities = budgetEntities({ subject: input.subject }, deps.config.budgets);
        Object.assign(computed, await deps.budget.ledger.budgetContext(entities, input.estimatedCost ?? 0));
      }
      const request = policyRequestFor(input, computed);
      const decision = deps.engine.evaluate(request);
      await record([policyDecisionEntry(input.id ?? Context.current().info.workflowExecution?.workflowId ?? 'unknown', request, decision)]);
      if (decision.effect !== 'require_approval') return { request, decision };
      try {
        return { request, decision, plan: approvalPlan(decision.rule, decision.metadata, deps.config.approvals) };
      } catch (error) {
        if (error instanceof ApprovalMetadataError) throw ApplicationFailure.nonRetryable(error.message, 'InvalidPolicyMetadata');
        throw error;
      }
    },

    async checkApprover(args: {
      operation: OperationRef; identifier: string; request: PolicyRequest; escalatedRoles?: string[];
      vote: { decision: 'approve' | 'reject'; notes?: string; slackUserId?: string; at: string };
    }): Promise<AuthorityVerdict> {
      const verdict = await verdictFor(args.identifier, args.request, args.escalatedRoles);
      const vote = { ...args.vote, approver: { identifier: args.identifier, slackUserId: args.vote.slackUserId } };
      await record([verdict.allowed ? approvalVoteEntry(args.operation, vote) : approvalRefusedEntry(args.operation, { ...vote, reason: verdict.reason })]);
      return verdict;
    },

    async executeOperation(args: {
      id: string; name: string; args: unknown; request: PolicyRequest; decision: PolicyDecision; approval?: ApprovalState; estimatedCost?: number;
    }): Promise<{ result?: unknown; actualCost?: number }> {
      let handler;
      try {
        handler = deps.operations.get(args.name);
      } catch (error) {
        if (error instanceof UnknownOperationError) throw ApplicationFailure.nonRetryable(error.message, 'UnknownOperation');
        throw error;
      }
      const output: unknown = await handler(args.args, {
        operationId: args.id,
        attempt: Context.current().info.attempt,
        subject: args.request.subject,
        action: args.request.action,
        resource: args.request.resource,
        decision: args.decision,
        approval: args.approval,
      });
      const result: { result?: unknown; actualCost?: number } = isCostedResult(output) ? output : { result: output };
      await record([operationCompletedEntry(operationRef(args.id, args.request, args.decision.rule), { cost: result.actualCost ?? args.estimatedCost })]);
      return result;
    },

    /** Tell approvers (Slack or console) what happened; returns where the message lives. */
    async notifyApproval(event: ApprovalEvent): Promise<{ channel: string; ts: string } | undefined> {
      const entry = approvalAuditEntry(event);
      if (entry) await record([entry]);
      if (event.kind !== 'reminder') return deps.approvals.notify(event);
      // A reminder names the people who could act now: the same check a vote gets.
      const { input, approval } = event.view;
      const request = { subject: input.subject, action: input.action, resource: input.resource };
      const escalatedRoles = approval?.escalated ? approval.escalatedTo?.roles : undefined;
      const mentions: string[] = [];
      for (const approver of await directory.withRoles([])) {
        if (approver.slackUserId && (await verdictFor(approver.identifier, request, escalatedRoles)).allowed) mentions.push(approver.slackUserId);
      }
      return deps.approvals.notify({ ...event, mentions });
    },
  };
}

export const operationRef = (operationId: string, request: Pick<PolicyRequest, 'subject' | 'action' | 'resource'>, rule?: string | null): OperationRef =>
  ({ operationId, requester: request.subject.identifier, action: request.action, resource: request.resource, rule: rule ?? null });

/** What an approval event puts in the audit trail (progress and reminders add nothing). */
function approvalAuditEntry(event: ApprovalEvent): AuditEntryInput | null {
  const view: OperationStatusView = event.view;
  const op = operationRef(view.id, view.input, view.decision?.rule);
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

export type TollgateActivities = ReturnType<typeof createActivities>;
