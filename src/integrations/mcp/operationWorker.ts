import { createHash } from 'node:crypto';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { workerRuntime, type WorkerRuntime } from '../../temporal/workerRuntime.js';
import { canonicalJson } from '../../canonicalJson.js';
import type { TollgateConfig } from '../../config.js';
import { createOperationActivities } from '../../operation/execute.js';
import { withRedactedFailures } from '../../temporal/redactFailures.js';
import type { ExecutedOperation, OperationLookup } from '../../operation/registry.js';

export type { OperationLookup };

export interface OperationWorkerOptions {
  config: TollgateConfig;
  /** The queue operations name in `operation.taskQueue`; only this process's handlers serve it. */
  taskQueue: string;
  operations: OperationLookup;
  /** Facts about a handler's result worth keeping in its operation_completed entry (beside its digest), which the workflow writes. */
  describeResult?: (result: unknown) => Record<string, unknown>;
  connection?: NativeConnection;
  identity?: string;
}

export type OperationWorker = WorkerRuntime;

/**
 * A worker that runs operation handlers, and nothing else, for operations that name its task
 * queue: the governed workflow (policy, approval, budget) runs on the Tollgate service; only the
 * side effect runs here, in the process that owns what it needs (the MCP gateway's upstream
 * connection). The activity is the workflow's `executeOperation`, with the same argument and result.
 */
export async function createOperationWorker(options: OperationWorkerOptions): Promise<OperationWorker> {
  return workerRuntime(options.config, options.connection, (connection) => Worker.create({
    connection,
    namespace: options.config.temporal.namespace,
    taskQueue: options.taskQueue,
    ...(options.identity ? { identity: options.identity } : {}),
    activities: withRedactedFailures(createOperationActivities({ operations: options.operations, describe: resultFacts(options.describeResult) })),
  }));
}

/** What the audit trail keeps of a handler's result: its digest, which ties what the caller got to the trail. */
function resultFacts(describeResult: OperationWorkerOptions['describeResult']) {
  return (output: ExecutedOperation) => ({
    ...describeResult?.(output.result),
    resultSha256: createHash('sha256').update(canonicalJson(output.result ?? null)).digest('hex'),
  });
}
