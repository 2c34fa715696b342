import type { ApprovalPlan } from '../approval/plan.js';
import type { ApprovalOutcome } from './contract.js';
import type { OperationStatusView } from './types.js';

/** What the workflow tells approvers about; a notifier turns each into a Slack message or a log line. */
export type ApprovalEvent =
  | { kind: 'requested'; view: OperationStatusView; plan: ApprovalPlan }
  | { kind: 'progress'; view: OperationStatusView }
  | { kind: 'reminder'; view: OperationStatusView; /** Slack user ids of approvers who may decide now. */ mentions?: string[] }
  | { kind: 'escalated'; view: OperationStatusView; plan: ApprovalPlan }
  | { kind: 'closed'; view: OperationStatusView; outcome: ApprovalOutcome };

export interface ApprovalEventSink {
  notify(event: ApprovalEvent): Promise<{ channel: string; ts: string } | undefined>;
}
