import { ApplicationFailure, Context } from '@temporalio/activity';
import { FailureType } from './contract.js';
import { runOperation, UnknownOperationError, type ExecuteOperationInput, type ExecutedOperation, type OperationLookup } from './registry.js';

export type { ExecuteOperationInput, ExecutedOperation };

/**
 * Runs a registered handler once the gate is open. Its own worker may run it (the service), or a
 * process that owns the handler's resource on another task queue (the MCP gateway): both use this.
 * It does nothing else: a failure after the handler returned (the database, say) must not make
 * Temporal retry the handler, so the workflow records the outcome in activities of its own.
 */
export function createOperationActivities(deps: { operations: OperationLookup; describe?: (output: ExecutedOperation) => Record<string, unknown> | undefined }) {
  return {
    async executeOperation(args: ExecuteOperationInput): Promise<ExecutedOperation> {
      try {
        const output = await runOperation(deps.operations, args, Context.current().info.attempt);
        const auditDetail = deps.describe?.(output);
        return auditDetail ? { ...output, auditDetail } : output;
      } catch (error) {
        if (error instanceof UnknownOperationError) throw ApplicationFailure.nonRetryable(error.message, FailureType.UnknownOperation);
        throw error;
      }
    },
  };
}
