import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { TollgateActivities } from '../activities/index.js';
import { FailureType } from '../src/operation/contract.js';
import type { OperationInput } from '../src/operation/schema.js';

/**
 * Everything but the operation's own handler runs as a local activity on this worker: no task-queue
 * round trip each. They touch the database, so they retry until it is back (no attempt cap); only
 * errors that retrying cannot fix are non-retryable.
 */
export const gate = proxyLocalActivities<TollgateActivities>({
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '200ms',
    maximumInterval: '10s',
    nonRetryableErrorTypes: [
      FailureType.InvalidOperation, FailureType.InvalidPolicyMetadata, FailureType.BudgetUnavailable,
      FailureType.BudgetReservationState, FailureType.InvalidBudgetAmount,
    ],
  },
});

/**
 * The handler, on its task queue (the workflow's, or that of the process that owns its resource),
 * retried a few times, or attempted once for side effects that are not idempotent.
 */
export function handlerFor(operation: NonNullable<OperationInput['operation']>) {
  return proxyActivities<TollgateActivities>({
    taskQueue: operation.taskQueue,
    startToCloseTimeout: '10m',
    // The activity heartbeats every 5 s (src/operation/execute.ts): a dead worker is noticed in 30 s.
    heartbeatTimeout: '30s',
    retry: operation.atMostOnce ? { maximumAttempts: 1 } : { maximumAttempts: 3, nonRetryableErrorTypes: [FailureType.UnknownOperation] },
  }).executeOperation;
}

export type Evaluation = Awaited<ReturnType<TollgateActivities['evaluatePolicy']>>;
