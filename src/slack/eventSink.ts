/**
 * Turns the workflow's approval events into notifier calls: post the request, show
 * progress, remind in the thread, escalate, and finally replace the buttons with the outcome.
 * Every call is keyed by the workflow id, so a retried `notifyApproval` activity is harmless.
 */
import type { TollgateConfig } from '../config.js';
import { logger as rootLogger, type Logger } from '../log.js';
import type { ApprovalEvent, ApprovalEventSink } from '../operation/events.js';
import type { ApprovalVote, OperationStatusView } from '../operation/types.js';
import { approvalMessageInput } from './approvalInput.js';
import { approvalOutcomeMessage, approvalProgressMessage, reminderText } from './blocks.js';
import type { ApprovalNotifier } from './notifier.js';
import type { ApprovalMessageInput, ApprovalOutcome, MessageRef } from './types.js';

import { escalationKey, reminderKey, requestKey } from './messageKeys.js';

export { escalationKey, reminderKey, requestKey };

export class NotifierApprovalSink implements ApprovalEventSink {
  private readonly logger: Logger;

  constructor(
    private readonly notifier: ApprovalNotifier,
    private readonly temporal: { uiUrl: string; namespace: string },
    logger?: Logger,
  ) {
    this.logger = (logger ?? rootLogger).child({ component: 'approval-sink' });
  }

  async notify(event: ApprovalEvent): Promise<MessageRef | undefined> {
    const input = approvalMessageInput(event.view, this.temporal);
    if (!input) return undefined;
    const id = event.view.id;
    const ref = event.view.approval?.message;

    switch (event.kind) {
      case 'requested': {
        const routed = event.plan.channel ? { ...input, rule: { ...input.rule, metadata: { ...input.rule.metadata, slackChannel: event.plan.channel } } } : input;
        return this.notifier.postApprovalRequest(routed, requestKey(id));
      }
      case 'progress': {
        if (ref) await this.notifier.updateApprovalMessage(ref, approvalProgressMessage(input, event.view.approval!));
        return undefined;
      }
      case 'reminder': {
        if (ref) await this.notifier.postReminder(ref, reminderText(event.mentions ?? [], { deadline: input.deadline }), reminderKey(id));
        return undefined;
      }
      case 'escalated': {
        const channel = event.plan.escalateTo?.channel ?? ref?.channel;
        if (!channel) {
          this.logger.warn({ operationId: id }, 'escalation has no channel (set metadata.escalateTo.channel); not posted');
          return undefined;
        }
        const escalateTo = event.plan.escalateTo?.roles ? { roles: event.plan.escalateTo.roles } : undefined;
        await this.notifier.postEscalation({ ...input, ...(escalateTo ? { escalateTo } : {}) }, channel, ref, escalationKey(id, channel));
        if (ref) await this.notifier.updateApprovalMessage(ref, approvalProgressMessage(input, event.view.approval!));
        return undefined;
      }
      case 'closed': {
        const message = approvalOutcomeMessage(input, outcomeOf(event.view, event.outcome));
        if (ref) await this.notifier.updateApprovalMessage(ref, message);
        await this.closeEscalation(event.view, input, ref, message);
        return undefined;
      }
    }
  }

  /** The escalation notice has buttons too; once decided, they must go as well. */
  private async closeEscalation(view: OperationStatusView, input: ApprovalMessageInput, ref: MessageRef | undefined, message: { text: string; blocks: unknown[] }): Promise<void> {
    if (!view.approval?.escalated) return;
    const channel = view.approval.escalatedTo?.channel ?? ref?.channel;
    if (!channel) return;
    const notice = await this.notifier.postedRef(escalationKey(input.operationId, channel));
    if (notice && (notice.channel !== ref?.channel || notice.ts !== ref?.ts)) await this.notifier.updateApprovalMessage(notice, message);
  }
}

/** Who decided and why, from the votes the workflow accepted. */
export function outcomeOf(view: OperationStatusView, outcome: ApprovalOutcome['outcome']): ApprovalOutcome {
  const votes: readonly ApprovalVote[] = view.approval?.votes ?? [];
  const deciding = outcome === 'approved' ? votes.filter((v) => v.decision === 'approve')
    : outcome === 'rejected' ? votes.filter((v) => v.decision === 'reject')
    : [];
  const last = deciding.at(-1);
  return {
    outcome,
    decidedBy: deciding.map((vote) => vote.approver),
    // Activities may read the clock; the workflow's own times are in the votes.
    at: last?.at ?? new Date().toISOString(),
    ...(last?.notes ? { note: last.notes } : {}),
  };
}

/** The sink the worker hands to the activities. */
export function approvalEventSink(notifier: ApprovalNotifier, config: Pick<TollgateConfig, 'temporal'>, logger?: Logger): NotifierApprovalSink {
  return new NotifierApprovalSink(notifier, { uiUrl: config.temporal.uiUrl, namespace: config.temporal.namespace }, logger);
}
