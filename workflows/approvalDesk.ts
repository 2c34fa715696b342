import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { decideUpdate, legacyDecisionSignal, type ApprovalOutcome } from '../src/operation/contract.js';
import { DecideRequestSchema, type DecideRequest, type DecideResult } from '../src/operation/schema.js';
import type { ApprovalState } from '../src/operation/types.js';
import type { ApprovalEvent } from '../src/operation/events.js';
import type { ApprovalPlan } from '../src/approval/plan.js';
import { nextApprovalStep, openApproval } from '../src/approval/schedule.js';
import { approvalsSoFar, tallyVote } from '../src/approval/tally.js';
import { grantTerms } from '../src/approval/grantTerms.js';
import { sameIdentity } from '../src/approval/identity.js';
import { approvalRefusedEntry } from '../src/audit/entries.js';
import { gate, type Evaluation } from './activities.js';
import type { OperationRecord } from './operationRecord.js';

/** After this many refused decisions, further ones are turned away before they reach the history. */
const MAX_REFUSED = 100;

const SIGNAL_REFUSED = 'decisions sent as a signal are not accepted: decide through Slack or the decision API (tollgate approvals approve)';

/**
 * Where an operation waiting for approval takes decisions: the `decide` Update (validated, then
 * checked by the authority activity: the service's proof, then the approver's authority), refused
 * signals from old clients, and the wait itself with its reminder, escalation and deadline.
 */
export class ApprovalDesk {
  private evaluation?: Evaluation;
  private attempts = 0;
  private readonly usedNonces: string[] = [];
  /** One vote at a time, so each is checked against the tally it will join. */
  private voting: Promise<unknown> = Promise.resolve();
  /** Set once the approval message shows the outcome. */
  messageClosed = false;

  constructor(private readonly record: OperationRecord) {
    setHandler(decideUpdate, (request) => {
      const vote = this.voting.then(() => this.decide(request));
      this.voting = vote.catch(() => undefined);
      return vote;
    }, { validator: (raw) => this.validate(raw) });
    setHandler(legacyDecisionSignal, (raw) => this.refuseSignal(raw));
  }

  private get approval(): ApprovalState | undefined {
    return this.record.view.approval;
  }

  /** Tell approvers (Slack or the console) what happened; returns where the message lives. */
  notify(event: ApprovalEvent) {
    return this.approval ? gate.notifyApproval(event) : Promise.resolve(undefined);
  }

  /** Malformed payloads, and decisions nobody is waiting for, never reach workflow code. */
  private validate(raw: unknown): void {
    const parsed = DecideRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw ApplicationFailure.create({ type: 'InvalidDecision', message: `decision ${issue.path.join('.') || 'payload'}: ${issue.message}`, nonRetryable: true });
    }
    const { view } = this.record;
    if (view.status !== 'awaiting_approval' || !this.approval || this.approval.outcome) {
      throw ApplicationFailure.create({ type: 'NotAwaitingApproval', message: `operation ${view.id} is not awaiting approval (status: ${view.status})`, nonRetryable: true });
    }
    if (this.approval.refused.length >= MAX_REFUSED) {
      throw ApplicationFailure.create({ type: 'TooManyRefusals', message: `operation ${view.id} has refused ${MAX_REFUSED} decisions; no more are accepted`, nonRetryable: true });
    }
  }

  /** Signals carry no proof: an old client's vote is recorded as refused and changes nothing. */
  private async refuseSignal(raw: unknown): Promise<void> {
    if ((this.approval?.refused.length ?? 0) >= MAX_REFUSED) return;
    const claimed = DecideRequestSchema.pick({ decision: true, approver: true }).safeParse(raw);
    const refused = {
      approver: claimed.success ? claimed.data.approver : { identifier: 'unknown' },
      decision: claimed.success ? claimed.data.decision : 'approve' as const,
      at: new Date().toISOString(),
      reason: SIGNAL_REFUSED,
    };
    this.approval?.refused.push(refused);
    await gate.recordAudit([approvalRefusedEntry(this.record.audit, { ...refused, refusal: 'signal', attempt: ++this.attempts })]);
  }

  private async decide(request: DecideRequest): Promise<DecideResult> {
    const approval = this.approval!;
    const evaluation = this.evaluation!;
    const { id } = this.record;
    const approvals = () => ({ have: approvalsSoFar(approval), need: approval.required });
    const notCounted = (refusal: string, reason: string): DecideResult => ({ counted: false, refusal, reason, approvals: approvals() });
    const decided = () => notCounted('decided', `operation ${id} was already ${approval.outcome}`);
    if (approval.outcome) return decided();
    // A replayed proof goes on to its check, so that the replay is audited as such.
    const replayed = request.proof !== undefined && this.usedNonces.includes(request.proof.nonce);
    if (!replayed && request.decision === 'approve' && approval.votes.some((v) => v.decision === 'approve' && sameIdentity(v.approver.identifier, request.approver.identifier))) {
      return notCounted('duplicate', `${request.approver.identifier} already approved ${id}; another approver has to`);
    }
    const at = new Date().toISOString();
    const checked = await gate.authorizeVote({
      operation: this.record.audit, request: evaluation.request, requestDigest: evaluation.requestDigest, policyRole: evaluation.policyRole,
      decision: request, attempt: ++this.attempts, usedNonces: [...this.usedNonces], at,
      escalatedRoles: approval.escalated ? approval.escalatedTo?.roles : undefined,
    });
    if (checked.nonce) this.usedNonces.push(checked.nonce);
    const vote = { approver: request.approver, decision: request.decision, channel: request.channel, notes: request.notes, at };
    if (!checked.allowed) {
      approval.refused.push({ ...vote, reason: checked.reason });
      this.record.refresh();
      return notCounted(checked.refusal, checked.reason);
    }
    // The check may have waited for the database; the deadline may have passed meanwhile.
    if (approval.outcome) return decided();
    const counted = tallyVote(approval, { ...vote, approver: { identifier: checked.identifier, slackUserId: checked.slackUserId } });
    if (counted.kind === 'duplicate') return notCounted('duplicate', `${checked.identifier} already approved ${id}`);
    if (counted.kind === 'pending') {
      await this.notify({ kind: 'progress', view: this.record.view });
      return { counted: true, reason: `counted: ${counted.approvals} of ${counted.required} approvals`, approvals: approvals() };
    }
    approval.outcome = counted.kind;
    const result: DecideResult = { counted: true, outcome: counted.kind, reason: `${id} ${counted.kind} by ${checked.identifier}`, approvals: approvals() };
    if (counted.kind === 'approved' && request.grant) result.grant = await this.grant(request, checked.identifier);
    return result;
  }

  private async grant(request: DecideRequest, grantedBy: string): Promise<DecideResult['grant']> {
    const { plan, decision, request: evaluated } = this.evaluation!;
    const terms = grantTerms(request.grant!, plan!, decision.rule, evaluated.resource);
    // The service checked these before it signed; a decision sent around it gets its vote, not a grant.
    if (!terms.ok || !decision.rule) return undefined;
    return gate.recordGrant({ operation: { ...this.record.audit, requester: evaluated.subject.identifier, action: evaluated.action, rule: decision.rule }, grantedBy, terms: terms.terms });
  }

  /** Approved without a wait: a live standing grant covers the request. */
  approvedByGrant(evaluation: Evaluation): void {
    this.record.view.approval = { ...openApproval(evaluation.plan!, Date.now()), outcome: 'approved', grantedBy: evaluation.grant };
  }

  /** Open the approval, tell approvers, and wait for votes, a reminder, an escalation or the deadline. */
  async wait(evaluation: Evaluation): Promise<ApprovalOutcome> {
    this.evaluation = evaluation;
    const plan: ApprovalPlan = evaluation.plan!;
    const approval = openApproval(plan, Date.now()); // workflow time: deterministic on replay
    const { view } = this.record;
    view.approval = approval;
    this.record.awaitingApproval(approval.requestedAt);
    const message = await this.notify({ kind: 'requested', view, plan });
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
        await this.notify({ kind: 'escalated', view, plan });
      } else {
        reminded = true;
        await this.notify({ kind: 'reminder', view });
      }
    }
    return approval.outcome;
  }

  /** Show the outcome on the approval message (once); the operation need not wait for it. */
  close(outcome: ApprovalOutcome): Promise<unknown> {
    if (!this.approval || this.approval.grantedBy || this.messageClosed) return Promise.resolve();
    this.messageClosed = true;
    this.approval.outcome ??= outcome;
    return this.notify({ kind: 'closed', view: this.record.view, outcome: this.approval.outcome });
  }
}
