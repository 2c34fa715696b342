import { ApplicationFailure, Context } from '@temporalio/activity';
import { FailureType } from './contract.js';
import { runOperation, UnknownOperationError, type ExecuteOperationInput, type ExecutedOperation, type OperationLookup } from './registry.js';

export type { ExecuteOperationInput, ExecutedOperation };

/** How often a running handler's activity heartbeats; the workflow's heartbeat timeout is a few times this. */
export const HEARTBEAT_EVERY_MS = 5_000;

/**
 * Runs a registered handler once the gate is open. Its own worker may run it (the service), or a
 * process that owns the handler's resource on another task queue (the MCP gateway): both use this.
 * It does nothing else: a failure after the handler returned (the database, say) must not make
 * Temporal retry the handler, so the workflow records the outcome in activities of its own.
 */
export function createOperationActivities(deps: { operations: OperationLookup; describe?: (output: ExecutedOperation) => Record<string, unknown> | undefined }) {
  return {
    async executeOperation(args: ExecuteOperationInput): Promise<ExecutedOperation> {
      const context = Context.current();
      // Heartbeats tell Temporal the handler's worker is alive: if it dies, the attempt ends at the
      // heartbeat timeout (seconds) rather than at the start-to-close timeout (minutes).
      const heartbeat = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        const output = await runOperation(deps.operations, args, context.info.attempt);
        const auditDetail = deps.describe?.(output);
        return auditDetail ? { ...output, auditDetail } : output;
      } catch (error) {
        if (error instanceof UnknownOperationError) throw ApplicationFailure.nonRetryable(error.message, FailureType.UnknownOperation);
        throw error;
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}
