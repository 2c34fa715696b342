import type { OperationStatus, OperationStatusView } from '../operation/types.js';
import type { DirectoryApprover } from './types.js';
import { namesOf } from '../approval/directory.js';
import { isRequester, sameIdentity } from '../approval/identity.js';
import { code, person } from './mrkdwn.js';

export type ClickPrecheck =
  | { ok: true; approver: DirectoryApprover }
  | { ok: false; reason: string };

/**
 * Whether a Slack click should become a decision, and if not, what to tell the person who
 * clicked. This is a courtesy check so people get an answer at once; the decision service and
 * the workflow check authority again themselves.
 */
export function precheckClick(args: {
  operationId: string;
  decision: 'approve' | 'reject';
  approver: DirectoryApprover | null;
  found: { view: OperationStatusView; running: boolean } | null;
}): ClickPrecheck {
  const { operationId, decision, approver, found } = args;
  const op = code(operationId);
  if (!approver) {
    return {
      ok: false,
      reason: `You are not a Tollgate approver, so your click on ${op} changed nothing. An admin can add your Slack user to \`approvers\` in tollgate.yaml.`,
    };
  }
  if (!found) return { ok: false, reason: `Tollgate has no operation ${op}; nothing changed.` };

  const { view, running } = found;
  if (isRequester(view.input.subject.identifier, namesOf(approver))) {
    return { ok: false, reason: `You requested ${op} yourself, so you cannot ${decision} it. Another approver has to decide.` };
  }
  if (view.status !== 'awaiting_approval') {
    return { ok: false, reason: `${op} ${notAwaiting(view)}; nothing changed.` };
  }
  if (!running) {
    return { ok: false, reason: `${op} is no longer running (it was terminated), so it cannot be decided; nothing changed.` };
  }
  const earlier = view.approval?.votes.find((vote) => sameIdentity(vote.approver.identifier, approver.identifier));
  if (earlier) {
    const left = Math.max(0, (view.approval?.required ?? 1) - (view.approval?.votes.filter((v) => v.decision === 'approve').length ?? 0));
    const more = earlier.decision === 'approve' && left > 0 ? ` It still needs ${left} more approval${left === 1 ? '' : 's'} from someone else.` : '';
    return { ok: false, reason: `You already ${earlier.decision === 'approve' ? 'approved' : 'rejected'} ${op}.${more}` };
  }
  return { ok: true, approver };
}

const STATUS_PHRASE: Record<Exclude<OperationStatus, 'awaiting_approval'>, string> = {
  evaluating: 'is not waiting for approval yet (the policy is still being evaluated)',
  executing: 'was already approved and is running',
  completed: 'was already approved and has completed',
  denied: 'was denied by policy',
  rejected: 'was already rejected',
  expired: 'has expired: nobody decided before the deadline',
  cancelled: 'was cancelled',
  failed: 'has failed',
};

function notAwaiting(view: OperationStatusView): string {
  const phrase = STATUS_PHRASE[view.status as Exclude<OperationStatus, 'awaiting_approval'>] ?? `is ${view.status}`;
  if (view.status !== 'rejected' && view.status !== 'executing' && view.status !== 'completed') return phrase;
  const wanted = view.status === 'rejected' ? 'reject' : 'approve';
  const deciders = (view.approval?.votes ?? []).filter((vote) => vote.decision === wanted).map((vote) => person(vote.approver));
  return deciders.length ? `${phrase} (by ${deciders.join(', ')})` : phrase;
}
