import { ApplicationFailure, Context } from '@temporalio/activity';
import { FailureType } from '../src/operation/contract.js';
import { isCostedResult, UnknownOperationError, type OperationRegistry } from '../src/operation/registry.js';
import type { ApprovalState } from '../src/operation/types.js';
import type { PolicyDecision, PolicyRequest } from '../src/policy/types.js';

export interface ExecuteOperationInput {
  id: string;
  name: string;
  args: unknown;
  request: PolicyRequest;
  decision: PolicyDecision;
  approval?: ApprovalState;
}

export interface ExecutedOperation {
  result?: unknown;
  actualCost?: number;
}

/**
 * Runs a registered handler once the gate is open. Its own worker may run it (the service), or a
 * process that owns the handler's resource on another task queue (the MCP gateway): both call this.
 * It does nothing else: a failure after the handler returned (the database, say) must not make
 * Temporal retry the handler, so the workflow records the outcome in activities of its own.
 */
export function createOperationActivities(deps: { operations: OperationRegistry }) {
  return {
    async executeOperation(args: ExecuteOperationInput): Promise<ExecutedOperation> {
      let handler;
      try {
        handler = deps.operations.get(args.name);
      } catch (error) {
        if (error instanceof UnknownOperationError) throw ApplicationFailure.nonRetryable(error.message, FailureType.UnknownOperation);
        throw error;
      }
      const output: unknown = await handler(args.args, {
        operationId: args.id,
        attempt: Context.current().info.attempt,
        subject: args.request.subject,
        action: args.request.action,
        resource: args.request.resource,
        decision: args.decision,
        approval: args.approval,
      });
      return isCostedResult(output) ? output : { result: output };
    },
  };
}
