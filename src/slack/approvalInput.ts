import type { OperationStatusView } from '../operation/types.js';
import type { ApprovalMessageInput } from './types.js';

/**
 * The approval message's input from the workflow's status view, so the notifier activity,
 * the CLI and the README renderer all describe a request the same way. Returns null until
 * the workflow has a policy decision and an approval state to show.
 */
export function approvalMessageInput(
  view: OperationStatusView,
  temporal: { uiUrl: string; namespace: string },
): ApprovalMessageInput | null {
  const { decision, approval, input } = view;
  if (!decision || !approval) return null;
  return {
    operationId: view.id,
    subject: input.subject,
    action: input.action,
    resource: input.resource,
    rule: { name: decision.rule, description: decision.reason, metadata: decision.metadata },
    policy: { set: decision.policySet, version: decision.policyVersion },
    ...(input.estimatedCost !== undefined ? { estimatedCost: input.estimatedCost } : {}),
    ...(input.context ? { context: input.context } : {}),
    deadline: approval.deadline,
    requestedAt: approval.requestedAt,
    requiredApprovals: approval.required,
    temporal,
  };
}
