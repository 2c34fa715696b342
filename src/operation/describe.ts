import type { OperationStatusView } from './types.js';

/**
 * The workflow's "current details" in the Temporal UI. Identifiers and names only: the UI text is
 * not encrypted by a payload codec, so context values never go here.
 */
export function operationDetails(view: OperationStatusView): string {
  const { input, decision, approval } = view;
  const lines = [
    `**${input.subject.identifier}** wants \`${input.action}\` on \`${input.resource}\``,
    `Status: **${view.status}**`,
  ];
  if (decision) lines.push(`Policy: ${decision.effect} by ${decision.rule ?? 'default effect'} (${decision.policySet}@${decision.policyVersion})`);
  if (decision?.reason) lines.push(`Why: ${decision.reason}`);
  if (approval) {
    const approvals = approval.votes.filter((v) => v.decision === 'approve').map((v) => v.approver.identifier);
    lines.push(`Approvals: ${approvals.length} of ${approval.required}${approvals.length ? ` (${approvals.join(', ')})` : ''}; deadline ${approval.deadline}`);
    if (approval.escalated) lines.push(`Escalated${approval.escalatedTo?.roles?.length ? ` to ${approval.escalatedTo.roles.join(', ')}` : ''}`);
  }
  if (view.error) lines.push(`Outcome: ${view.error}`);
  return lines.join('\n\n');
}

/** One-line summary shown in workflow lists (set at start). */
export function operationSummary(input: { subject: { identifier: string }; action: string; resource: string }): string {
  return `${input.subject.identifier}: ${input.action} ${input.resource}`.slice(0, 200);
}
