import {
  ApplicationFailure, CancellationScope, allHandlersFinished, condition, isCancellation, proxyActivities, proxyLocalActivities,
  setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { TollgateActivities } from '../activities/index.js';
import { FailureType, decideUpdate, legacyDecisionSignal, statusQuery, type ApprovalOutcome } from '../src/operation/contract.js';
import { DecideRequestSchema, type DecideRequest, type DecideResult, type OperationInput } from '../src/operation/schema.js';
import type { ApprovalState, OperationResult, OperationStatus, OperationStatusView } from '../src/operation/types.js';
import type { ApprovalEvent } from '../src/operation/events.js';
import { deniedMessage, expiredMessage, failedMessage, failureCause, rejectedMessage } from '../src/operation/outcome.js';
import { operationDetails } from '../src/operation/describe.js';
import type { ApprovalPlan } from '../src/approval/plan.js';
import { nextApprovalStep, openApproval } from '../src/approval/schedule.js';
import { approvalsSoFar, tallyVote } from '../src/approval/tally.js';
import { grantTerms } from '../src/approval/grantTerms.js';
import { sameIdentity } from '../src/approval/identity.js';
import { approvalRefusedEntry, operationCancelledEntry, operationCompletedEntry, operationFailedEntry, operationRefOf } from '../src/audit/entries.js';
import { createRedactor } from '../src/redact.js';
import { TollgateApprovalRequestedAt, TollgateRule, TollgateStatus } from '../src/temporal/searchAttributes.js';

// Everything but the operation's own handler runs as a local activity on this worker: no task-queue
// round trip each. They touch the database, so they retry until it is back (no attempt cap); only
// errors that retrying cannot fix are non-retryable.
const gate = proxyLocalActivities<TollgateActivities>({
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '200ms', maximumInterval: '10s',
    nonRetryableErrorTypes: [FailureType.InvalidOperation, FailureType.InvalidPolicyMetadata, FailureType.BudgetUnavailable, FailureType.BudgetReservationState, FailureType.InvalidBudgetAmount],
  },
});

/** After this many refused decisions, further ones are turned away before they reach the history. */
const MAX_REFUSED = 100;

type Ending = Exclude<OperationStatus, 'evaluating' | 'awaiting_approval' | 'executing' | 'completed'>;

export async function governedOperation(input: OperationInput): Promise<OperationResult> {
  const { workflowId: id } = workflowInfo();
  // What queries, the UI and Slack see: secrets never leave the workflow's input. The worker's own
  // redaction settings arrive with the evaluation; until then the built-in ones apply.
  let redactor = createRedactor();
  const view: OperationStatusView = { id, status: 'evaluating', input: redactor.redact(input) };
  const audit = operationRefOf(id, input);
  let evaluation: Awaited<ReturnType<TollgateActivities['evaluatePolicy']>> | undefined;
  let reserved = false;
  let messageClosed = false;
  let attempts = 0;
  const usedNonces: string[] = [];
  let voting: Promise<unknown> = Promise.resolve();

  const setStatus = (status: OperationStatus) => {
    view.status = status;
    upsertSearchAttributes([{ key: TollgateStatus, value: status }]);
    setCurrentDetails(operationDetails(view));
  };
  const notify = (event: ApprovalEvent) => (view.approval ? gate.notifyApproval(event) : Promise.resolve(undefined));
  const awaiting = () => view.status === 'awaiting_approval' && view.approval !== undefined && view.approval.outcome === undefined;
  const refusals = () => view.approval?.refused.length ?? 0;

  setHandler(statusQuery, () => view);
  setHandler(decideUpdate, (request) => {
    // One vote at a time, so each is checked against the tally it will join.
    const vote = voting.then(() => decide(request));
    voting = vote.catch(() => undefined);
    return vote;
  }, {
    validator: (raw) => {
      const parsed = DecideRequestSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw ApplicationFailure.create({ type: 'InvalidDecision', message: `decision ${issue.path.join('.') || 'payload'}: ${issue.message}`, nonRetryable: true });
      }
      if (!awaiting()) throw ApplicationFailure.create({ type: 'NotAwaitingApproval', message: `operation ${id} is not awaiting approval (status: ${view.status})`, nonRetryable: true });
      if (refusals() >= MAX_REFUSED) throw ApplicationFailure.create({ type: 'TooManyRefusals', message: `operation ${id} has refused ${MAX_REFUSED} decisions; no more are accepted`, nonRetryable: true });
    },
  });
  // Signals carry no proof: an old client's vote is recorded as refused and changes nothing.
  setHandler(legacyDecisionSignal, async (raw) => {
    if (refusals() >= MAX_REFUSED) return;
    const claimed = DecideRequestSchema.pick({ decision: true, approver: true }).safeParse(raw);
    const approver = claimed.success ? claimed.data.approver : { identifier: 'unknown' };
    const refused = {
      approver, decision: claimed.success ? claimed.data.decision : 'approve' as const, at: new Date().toISOString(),
      reason: 'decisions sent as a signal are not accepted: decide through Slack or the decision API (tollgate approvals approve)',
    };
    view.approval?.refused.push(refused);
    await gate.recordAudit([approvalRefusedEntry(audit, { ...refused, refusal: 'signal', attempt: ++attempts })]);
  });

  async function decide(request: DecideRequest): Promise<DecideResult> {
    const approval = view.approval!;
    const tally = () => ({ have: approvalsSoFar(approval), need: approval.required });
    const decided = (): DecideResult => ({ counted: false, refusal: 'decided', reason: `operation ${id} was already ${approval.outcome}`, approvals: tally() });
    if (approval.outcome) return decided();
    // A replayed proof goes on to its check, so that the replay is audited as such.
    const replayed = request.proof !== undefined && usedNonces.includes(request.proof.nonce);
    if (!replayed && request.decision === 'approve' && approval.votes.some((v) => v.decision === 'approve' && sameIdentity(v.approver.identifier, request.approver.identifier))) {
      return { counted: false, refusal: 'duplicate', reason: `${request.approver.identifier} already approved ${id}; another approver has to`, approvals: tally() };
    }
    const at = new Date().toISOString();
    const checked = await gate.authorizeVote({
      operation: { ...audit, rule: evaluation!.decision.rule }, request: evaluation!.request, requestDigest: evaluation!.requestDigest,
      decision: request, attempt: ++attempts, usedNonces: [...usedNonces], at, policyRole: evaluation!.policyRole,
      escalatedRoles: approval.escalated ? approval.escalatedTo?.roles : undefined,
    });
    if (checked.nonce) usedNonces.push(checked.nonce);
    const vote = { approver: request.approver, decision: request.decision, channel: request.channel, notes: request.notes, at };
    if (!checked.allowed) {
      approval.refused.push({ ...vote, reason: checked.reason });
      setCurrentDetails(operationDetails(view));
      return { counted: false, refusal: checked.refusal, reason: checked.reason, approvals: tally() };
    }
    // The check may have waited for the database; the deadline may have passed meanwhile.
    if (approval.outcome) return decided();
    const counted = tallyVote(approval, { ...vote, approver: { identifier: checked.identifier, slackUserId: checked.slackUserId } });
    if (counted.kind === 'duplicate') return { counted: false, refusal: 'duplicate', reason: `${checked.identifier} already approved ${id}`, approvals: tally() };
    if (counted.kind === 'pending') {
      await notify({ kind: 'progress', view });
      return { counted: true, reason: `counted: ${counted.approvals} of ${counted.required} approvals`, approvals: tally() };
    }
    approval.outcome = counted.kind;
    const result: DecideResult = { counted: true, outcome: counted.kind, reason: `${id} ${counted.kind} by ${checked.identifier}`, approvals: tally() };
    if (counted.kind === 'approved' && request.grant) result.grant = await grant(request, checked.identifier);
    return result;
  }

  async function grant(request: DecideRequest, grantedBy: string): Promise<DecideResult['grant']> {
    const { plan, decision, request: evaluated } = evaluation!;
    const terms = grantTerms(request.grant!, plan!, decision.rule, evaluated.resource);
    // The service checked these before it signed; a decision sent around it gets its vote, not a grant.
    if (!terms.ok || !decision.rule) return undefined;
    return gate.recordGrant({ operation: { ...audit, requester: evaluated.subject.identifier, action: evaluated.action, rule: decision.rule }, grantedBy, terms: terms.terms });
  }

  async function awaitApproval(plan: ApprovalPlan): Promise<ApprovalOutcome> {
    const approval = openApproval(plan, Date.now()); // workflow time: deterministic on replay
    view.approval = approval;
    upsertSearchAttributes([{ key: TollgateApprovalRequestedAt, value: new Date(approval.requestedAt) }]);
    setStatus('awaiting_approval');
    const message = await notify({ kind: 'requested', view, plan });
    if (message) approval.message = message;
    let reminded = false;
    while (!approval.outcome) {
      // Durable timers: the wait survives worker and server restarts; no cron is involved.
      const step = nextApprovalStep(approval, plan, reminded, Date.now());
      if (step.kind === 'wait') {
        await condition(() => approval.outcome !== undefined, step.forMs);
      } else if (step.kind === 'expire') {
        approval.outcome = 'expired';
      } else if (step.kind === 'escalate') {
        approval.escalated = true;
        approval.escalatedTo = plan.escalateTo;
        await notify({ kind: 'escalated', view, plan });
      } else {
        reminded = true;
        await notify({ kind: 'reminder', view });
      }
    }
    return approval.outcome;
  }

  const fail = (status: Ending, type: FailureType, message: string, details?: unknown) => {
    view.error = redactor.redactString(message);
    setStatus(status);
    return ApplicationFailure.create({ type, message: view.error, nonRetryable: true, details: details === undefined ? [] : [redactor.redact(details)] });
  };

  try {
    evaluation = await gate.evaluatePolicy({ ...input, id });
    const { request, decision, plan } = evaluation;
    redactor = createRedactor(evaluation.redaction);
    view.input = redactor.redact(input);
    view.decision = decision;
    view.requestDigest = evaluation.requestDigest;
    view.policyRole = evaluation.policyRole;
    audit.rule = decision.rule;
    upsertSearchAttributes([{ key: TollgateRule, value: decision.rule ?? '(default)' }]);
    if (decision.effect === 'deny') throw fail('denied', FailureType.PolicyViolation, deniedMessage(decision), decision);
    if (input.estimatedCost !== undefined) {
      const reservation = await gate.reserveBudget({ key: id, request, amount: input.estimatedCost });
      if (!reservation.reserved) throw fail('denied', FailureType.BudgetExceeded, reservation.message, reservation.exceeded);
      reserved = true;
    }

    let approvedNotice: Promise<unknown> = Promise.resolve();
    if (decision.effect === 'require_approval' && plan) {
      if (evaluation.grant) {
        view.approval = { ...openApproval(plan, Date.now()), outcome: 'approved', grantedBy: evaluation.grant };
      } else {
        const outcome = await awaitApproval(plan);
        const approval: ApprovalState = view.approval!;
        if (outcome === 'rejected') throw fail('rejected', FailureType.ApprovalRejected, rejectedMessage(approval), approval);
        if (outcome === 'expired') throw fail('expired', FailureType.ApprovalExpired, expiredMessage(approval), approval);
        // Updating the message need not delay the operation: it runs alongside and is awaited below.
        approvedNotice = notify({ kind: 'closed', view, outcome });
        messageClosed = true;
      }
    }

    let result: unknown;
    let actualCost = input.estimatedCost;
    const operation = input.operation;
    if (operation && !operation.gateOnly) {
      setStatus('executing');
      const { executeOperation } = proxyActivities<TollgateActivities>({
        taskQueue: operation.taskQueue,
        startToCloseTimeout: '10m',
        retry: operation.atMostOnce ? { maximumAttempts: 1 } : { maximumAttempts: 3, nonRetryableErrorTypes: [FailureType.UnknownOperation] },
      });
      try {
        const output = await executeOperation({ id, name: operation.name, args: operation.args, request, decision, approval: view.approval });
        result = output.result;
        actualCost = output.actualCost ?? actualCost;
        await gate.recordAudit([operationCompletedEntry(audit, { cost: actualCost, ...output.auditDetail })]);
      } catch (error) {
        if (isCancellation(error)) throw error;
        const cause = failureCause(error);
        await gate.recordAudit([operationFailedEntry(audit, { error: redactor.redactString(cause.message), errorType: cause.type })]);
        throw fail('failed', FailureType.OperationFailed, failedMessage(operation.name, cause.message), { operation: operation.name });
      }
    }
    // A pure gate commits its estimate when it opens; adjustCost corrects it later.
    if (reserved && actualCost !== undefined) {
      await gate.commitBudget({ key: id, amount: actualCost });
      reserved = false;
    }
    await approvedNotice;
    setStatus('completed');
    await condition(allHandlersFinished);
    return { id, status: 'completed', decision, approval: view.approval, result, ...(actualCost !== undefined ? { cost: actualCost } : {}) };
  } catch (error) {
    // Whatever ends the operation gives its reservation back, fixes its status and closes its
    // message, even while the workflow is being cancelled.
    await CancellationScope.nonCancellable(async () => {
      if (isCancellation(error)) {
        view.error = 'cancelled';
        setStatus('cancelled');
        await gate.recordAudit([operationCancelledEntry(audit, { reason: 'cancelled' })]);
      } else if (!(error instanceof ApplicationFailure) || !isEnding(view.status)) {
        const cause = failureCause(error);
        await gate.recordAudit([operationFailedEntry(audit, { error: redactor.redactString(cause.message), errorType: cause.type })]);
        error = fail('failed', FailureType.OperationFailed, cause.message);
      }
      if (reserved) await gate.releaseBudget({ key: id });
      reserved = false;
      const approval = view.approval;
      if (approval && !approval.grantedBy && !messageClosed) {
        approval.outcome ??= 'cancelled';
        await notify({ kind: 'closed', view, outcome: approval.outcome });
      }
      await condition(allHandlersFinished);
    });
    throw error;
  }
}

const ENDINGS: readonly OperationStatus[] = ['denied', 'rejected', 'expired', 'cancelled', 'failed'];
const isEnding = (status: OperationStatus): boolean => ENDINGS.includes(status);
