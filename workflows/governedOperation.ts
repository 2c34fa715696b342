import {
  ApplicationFailure, CancellationScope, condition, isCancellation, proxyActivities, proxyLocalActivities,
  setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { TollgateActivities } from '../activities/index.js';
import type { ApprovalDecision, OperationInput } from '../src/operation/schema.js';
import type { ApprovalState, OperationResult, OperationStatus, OperationStatusView } from '../src/operation/types.js';
import type { ApprovalEvent } from '../src/operation/events.js';
import { tallyVote } from '../src/approval/tally.js';
import { operationCancelledEntry, operationFailedEntry, type OperationRef } from '../src/audit/entries.js';
import { operationDetails } from '../src/operation/describe.js';
import { TollgateApprovalRequestedAt, TollgateRule, TollgateStatus } from '../src/temporal/searchAttributes.js';
import { approvalDecisionSignal, statusQuery } from './definitions.js';

// Policy checks are pure CPU work on the worker: local activities skip a task-queue round trip each.
const { evaluatePolicy, checkApprover } = proxyLocalActivities<TollgateActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 5 },
});
const { notifyApproval, recordAudit } = proxyActivities<TollgateActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m' },
});
const { reserveBudget, commitBudget, releaseBudget } = proxyActivities<TollgateActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s', nonRetryableErrorTypes: ['BudgetReservationState', 'BudgetUnavailable'] },
});
const EXECUTE_TIMEOUT = '10m';
const { executeOperation } = proxyActivities<TollgateActivities>({
  startToCloseTimeout: EXECUTE_TIMEOUT,
  retry: { maximumAttempts: 3, nonRetryableErrorTypes: ['UnknownOperation'] },
});

/** The handler runs where its resource lives (taskQueue), and never twice when it is not idempotent. */
function handlerFor(operation: NonNullable<OperationInput['operation']>): typeof executeOperation {
  if (!operation.taskQueue && !operation.atMostOnce) return executeOperation;
  return proxyActivities<TollgateActivities>({
    startToCloseTimeout: EXECUTE_TIMEOUT,
    ...(operation.taskQueue ? { taskQueue: operation.taskQueue } : {}),
    retry: operation.atMostOnce ? { maximumAttempts: 1 } : { maximumAttempts: 3, nonRetryableErrorTypes: ['UnknownOperation'] },
  }).executeOperation;
}

type Outcome = 'approved' | 'rejected' | 'expired';

export async function governedOperation(input: OperationInput): Promise<OperationResult> {
  const id = workflowInfo().workflowId;
  const view: OperationStatusView = { id, status: 'evaluating', input };
  const inbox: ApprovalDecision[] = [];
  setHandler(statusQuery, () => view);
  setHandler(approvalDecisionSignal, (decision) => void inbox.push(decision));

  const setStatus = (status: OperationStatus) => {
    view.status = status;
    upsertSearchAttributes([{ key: TollgateStatus, value: status }]);
    setCurrentDetails(operationDetails(view));
  };
  const notify = (event: ApprovalEvent) => (view.approval ? notifyApproval(event) : Promise.resolve(undefined));
  const auditRef: OperationRef = { operationId: id, requester: input.subject.identifier, action: input.action, resource: input.resource, rule: null };
  // Compensation: whatever ends the operation without spending gives the reservation back.
  let reserved = false;
  const releaseReservation = async () => {
    if (reserved) await releaseBudget({ key: id });
    reserved = false;
  };
  const fail = (status: OperationStatus, type: string, message: string, details: unknown) => {
    setStatus(status);
    view.error = message;
    return ApplicationFailure.create({ type, message, nonRetryable: true, details: [details] });
  };

  try {
    let approvedNotice: Promise<unknown> = Promise.resolve();
    const { request, decision, plan } = await evaluatePolicy(input);
    view.decision = decision;
    auditRef.rule = decision.rule;
    upsertSearchAttributes([{ key: TollgateRule, value: decision.rule ?? '(default)' }]);
    if (decision.effect === 'deny') {
      throw fail('denied', 'PolicyViolation', `denied by ${decision.rule ? `rule ${decision.rule}` : 'the default effect'}${decision.reason ? `: ${decision.reason}` : ''}`, decision);
    }
    if (input.estimatedCost !== undefined) {
      const reservation = await reserveBudget({ key: id, request, amount: input.estimatedCost });
      if (!reservation.reserved) throw fail('denied', 'BudgetExceeded', reservation.message, reservation.exceeded);
      reserved = true;
    }

    if (decision.effect === 'require_approval' && plan) {
      const requestedAt = Date.now(); // workflow time: deterministic on replay
      const approval: ApprovalState = {
        required: plan.required, votes: [], refused: [], escalated: false,
        requestedAt: new Date(requestedAt).toISOString(),
        deadline: new Date(requestedAt + plan.timeoutMs).toISOString(),
      };
      view.approval = approval;
      upsertSearchAttributes([{ key: TollgateApprovalRequestedAt, value: new Date(requestedAt) }]);
      setStatus('awaiting_approval');
      const message = await notify({ kind: 'requested', view, plan });
      if (message) approval.message = message;

      const outcome = await waitForApproval(approval, requestedAt, plan.reminderAfterMs, plan.escalateAfterMs, async (kind) => {
        if (kind === 'escalated') {
          approval.escalated = true;
          approval.escalatedTo = plan.escalateTo;
        }
        await notify(kind === 'escalated' ? { kind, view, plan } : { kind, view });
      }, async (vote) => {
        const recorded = { ...vote, at: new Date().toISOString() };
        const verdict = await checkApprover({
          operation: auditRef, identifier: vote.approver.identifier, request,
          escalatedRoles: approval.escalated ? plan.escalateTo?.roles : undefined,
          vote: { decision: vote.decision, notes: vote.notes, slackUserId: vote.approver.slackUserId, at: recorded.at },
        });
        if (!verdict.allowed) {
          approval.refused.push({ ...recorded, reason: verdict.reason });
          return undefined;
        }
        const tally = tallyVote(approval, recorded);
        if (tally.kind === 'pending') await notify({ kind: 'progress', view });
        return tally.kind === 'approved' ? 'approved' : tally.kind === 'rejected' ? 'rejected' : undefined;
      }, inbox);

      if (outcome !== 'approved') {
        await releaseReservation();
        await notify({ kind: 'closed', view, outcome });
        throw outcome === 'rejected'
          ? fail('rejected', 'ApprovalRejected', `rejected by ${approval.votes.at(-1)?.approver.identifier}${approval.votes.at(-1)?.notes ? `: ${approval.votes.at(-1)?.notes}` : ''}`, approval)
          : fail('expired', 'ApprovalExpired', `no decision before the deadline ${approval.deadline}`, approval);
      }
      // Updating the message need not delay the operation: it runs alongside and is awaited below.
      approvedNotice = notify({ kind: 'closed', view, outcome });
    }

    let result: unknown;
    let actualCost = input.estimatedCost;
    // gateOnly: the caller performs the side effect itself once the gate opens.
    if (input.operation && !input.operation.gateOnly) {
      setStatus('executing');
      try {
        const output = await handlerFor(input.operation)({ id, name: input.operation.name, args: input.operation.args, request, decision, approval: view.approval, estimatedCost: input.estimatedCost });
        result = output.result;
        actualCost = output.actualCost ?? actualCost;
      } catch (error) {
        if (isCancellation(error)) throw error;
        const reason = (error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message;
        await recordAudit([operationFailedEntry(auditRef, { error: reason, errorType: ((error as Error).cause as { type?: string } | undefined)?.type })]);
        await releaseReservation();
        throw fail('failed', 'OperationFailed', `operation ${input.operation.name} failed: ${reason}`, { operation: input.operation.name });
      }
    }
    // A pure gate commits its estimate when it opens; adjustCost corrects it later.
    if (reserved && actualCost !== undefined) {
      await commitBudget({ key: id, amount: actualCost });
      reserved = false;
    }
    await approvedNotice;
    setStatus('completed');
    return { id, status: 'completed', decision, approval: view.approval, result, ...(actualCost !== undefined ? { cost: actualCost } : {}) };
  } catch (error) {
    if (isCancellation(error)) {
      // Cleanup must run even though the workflow is being cancelled.
      await CancellationScope.nonCancellable(async () => {
        setStatus('cancelled');
        await recordAudit([operationCancelledEntry(auditRef, { reason: 'cancelled' })]);
        await releaseReservation();
        await notify({ kind: 'closed', view, outcome: 'cancelled' });
      });
    }
    throw error;
  }
}

/**
 * Wait for votes, a reminder, an escalation or the deadline, whichever comes first. Durable timers
 * (condition with a timeout) survive worker and server restarts; no cron is involved.
 */
async function waitForApproval(
  approval: ApprovalState,
  requestedAt: number,
  reminderAfterMs: number,
  escalateAfterMs: number | undefined,
  announce: (kind: 'reminder' | 'escalated') => Promise<void>,
  count: (vote: ApprovalDecision) => Promise<Outcome | undefined>,
  inbox: ApprovalDecision[],
): Promise<Outcome> {
  const deadline = Date.parse(approval.deadline);
  let reminded = false;
  for (;;) {
    const vote = inbox.shift();
    if (vote) {
      const outcome = await count(vote);
      if (outcome) return outcome;
      continue;
    }
    const now = Date.now();
    if (now >= deadline) return 'expired';
    const remindAt = reminded ? Infinity : requestedAt + reminderAfterMs;
    const escalateAt = approval.escalated || escalateAfterMs === undefined ? Infinity : requestedAt + escalateAfterMs;
    if (now >= escalateAt) {
      await announce('escalated');
      continue;
    }
    if (now >= remindAt) {
      reminded = true;
      await announce('reminder');
      continue;
    }
    await condition(() => inbox.length > 0, Math.min(deadline, remindAt, escalateAt) - now);
  }
}
