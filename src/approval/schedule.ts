import type { ApprovalState } from '../operation/types.js';
import type { ApprovalPlan } from './plan.js';

/** The approval state an operation opens when its rule requires approval, deadline included. */
export function openApproval(plan: Pick<ApprovalPlan, 'required' | 'timeoutMs'>, requestedAtMs: number): ApprovalState {
  return {
    required: plan.required,
    votes: [],
    refused: [],
    escalated: false,
    requestedAt: new Date(requestedAtMs).toISOString(),
    deadline: new Date(requestedAtMs + plan.timeoutMs).toISOString(),
  };
}

export type ApprovalStep =
  | { kind: 'expire' }
  | { kind: 'escalate' }
  | { kind: 'remind' }
  | { kind: 'wait'; forMs: number };

/**
 * What a waiting operation does next at `nowMs`: expire at the deadline, escalate once at
 * `escalateAfter`, remind once at half time, otherwise sleep until the earliest of those.
 */
export function nextApprovalStep(
  state: Pick<ApprovalState, 'requestedAt' | 'deadline' | 'escalated'>,
  plan: Pick<ApprovalPlan, 'reminderAfterMs' | 'escalateAfterMs'>,
  reminded: boolean,
  nowMs: number,
): ApprovalStep {
  const requestedAt = Date.parse(state.requestedAt);
  const deadline = Date.parse(state.deadline);
  if (nowMs >= deadline) return { kind: 'expire' };
  const escalateAt = state.escalated || plan.escalateAfterMs === undefined ? Infinity : requestedAt + plan.escalateAfterMs;
  if (nowMs >= escalateAt) return { kind: 'escalate' };
  const remindAt = reminded ? Infinity : requestedAt + plan.reminderAfterMs;
  if (nowMs >= remindAt) return { kind: 'remind' };
  return { kind: 'wait', forMs: Math.min(deadline, escalateAt, remindAt) - nowMs };
}
