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

export interface ActivityDependencies {
  config: TollgateConfig;
  engine: PolicyEngine;
  operations: OperationRegistry;
  approvals: ApprovalEventSink;
  /** Extra policy context for a request (tenancy, detectors); computed keys win. */
  enrich?: (input: OperationInput) => Promise<Record<string, unknown>>;
  /** Who may approve: config approvers plus Slack user-group members; defaults to config only. */
  directory?: ApproverDirectory;
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

  return {
    ...createBudgetActivities(deps.budget),

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
      if (decision.effect !== 'require_approval') return { request, decision };
      try {
        return { request, decision, plan: approvalPlan(decision.rule, decision.metadata, deps.config.approvals) };
      } catch (error) {
        if (error instanceof ApprovalMetadataError) throw ApplicationFailure.nonRetryable(error.message, 'InvalidPolicyMetadata');
        throw error;
      }
    },

    async checkApprover(args: { identifier: string; request: PolicyRequest; escalatedRoles?: string[] }): Promise<AuthorityVerdict> {
      return verdictFor(args.identifier, args.request, args.escalatedRoles);
    },

    async executeOperation(args: {
      id: string; name: string; args: unknown; request: PolicyRequest; decision: PolicyDecision; approval?: ApprovalState;
    }): Promise<{ result?: unknown; actualCost?: number }> {
      let handler;
      try {
        handler = deps.operations.get(args.name);
      } catch (error) {
        if (error instanceof UnknownOperationError) throw ApplicationFailure.nonRetryable(error.message, 'UnknownOperation');
        throw error;
      }
      const output = await handler(args.args, {
        operationId: args.id,
        attempt: Context.current().info.attempt,
        subject: args.request.subject,
        action: args.request.action,
        resource: args.request.resource,
        decision: args.decision,
        approval: args.approval,
      });
      return isCostedResult(output) ? output : { result: output };
    },

    /** Tell approvers (Slack or console) what happened; returns where the message lives. */
    async notifyApproval(event: ApprovalEvent): Promise<{ channel: string; ts: string } | undefined> {
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

export type TollgateActivities = ReturnType<typeof createActivities>;
