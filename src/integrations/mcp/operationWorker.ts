import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { TollgateActivities } from '../../../activities/index.js';
import type { AuditTrail } from '../../audit/index.js';
import { operationCompletedEntry } from '../../audit/index.js';
import { canonicalJson } from '../../canonicalJson.js';
import { temporalConnectionOptions } from '../../client/connection.js';
import type { TollgateConfig } from '../../config.js';
import { InfrastructureUnavailableError } from '../../errors.js';
import { isCostedResult, UnknownOperationError, type OperationHandler } from '../../operation/registry.js';

/** Where handlers come from: an OperationRegistry, or anything that looks names up the same way. */
export interface OperationLookup {
  get(name: string): OperationHandler;
}

export interface OperationWorkerOptions {
  config: TollgateConfig;
  /** The queue operations name in `operation.taskQueue`; only this process's handlers serve it. */
  taskQueue: string;
  operations: OperationLookup;
  /** Where operation_completed goes; null leaves it to Temporal's history. */
  audit: AuditTrail | null;
  /** Facts about a handler's result worth keeping in its operation_completed entry (beside its digest). */
  describeResult?: (result: unknown) => Record<string, unknown>;
  connection?: NativeConnection;
  identity?: string;
}

export interface OperationWorker {
  worker: Worker;
  run(): Promise<void>;
  shutdown(): Promise<void>;
}

type ExecuteArgs = Parameters<TollgateActivities['executeOperation']>[0];

/**
 * A worker that runs operation handlers, and nothing else, for operations that name its task
 * queue: the governed workflow (policy, approval, budget) runs on the Tollgate service; only the
 * side effect runs here, in the process that owns what it needs (the MCP gateway's upstream
 * connection). The activity is the workflow's `executeOperation`, with the same argument and result.
 */
export async function createOperationWorker(options: OperationWorkerOptions): Promise<OperationWorker> {
  const { config } = options;
  const ownsConnection = !options.connection;
  let connection = options.connection;
  if (!connection) {
    const connectionOptions = temporalConnectionOptions(config);
    try {
      connection = await NativeConnection.connect(connectionOptions);
    } catch (error) {
      throw new InfrastructureUnavailableError(`cannot reach Temporal at ${connectionOptions.address}: ${(error as Error).message.split('\n')[0]}`, { cause: error });
    }
  }
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: options.taskQueue,
    ...(options.identity ? { identity: options.identity } : {}),
    activities: { executeOperation: executeOperationWith(options) },
  });
  let running: Promise<void> | undefined;
  return {
    worker,
    run() {
      running ??= worker.run().finally(async () => {
        if (ownsConnection) await connection!.close();
      });
      return running;
    },
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

function executeOperationWith({ operations, audit, describeResult }: Pick<OperationWorkerOptions, 'operations' | 'audit' | 'describeResult'>) {
  return async function executeOperation(args: ExecuteArgs): Promise<{ result?: unknown; actualCost?: number }> {
    let handler: OperationHandler;
    try {
      handler = operations.get(args.name);
    } catch (error) {
      if (error instanceof UnknownOperationError) throw ApplicationFailure.nonRetryable(error.message, 'UnknownOperation');
      throw error;
    }
    const output = await handler(args.args, {
      operationId: args.id,
      attempt: Context.current().info.attempt,
      subject: args.request.subject,
      action: args.request.action,
      resource: args.request.resource,
      decision: args.decision,
      approval: args.approval,
    });
    const result: { result?: unknown; actualCost?: number } = isCostedResult(output) ? output : { result: output };
    const entry = operationCompletedEntry(
      { operationId: args.id, requester: args.request.subject.identifier, action: args.request.action, resource: args.request.resource, rule: args.decision.rule },
      { cost: result.actualCost ?? args.estimatedCost },
    );
    // The result itself may be large or sensitive; its digest ties what the caller got to the trail.
    const resultSha256 = createHash('sha256').update(canonicalJson(result.result ?? null)).digest('hex');
    await audit?.append({ ...entry, data: { ...entry.data, ...describeResult?.(result.result), resultSha256 } });
    return result;
  };
}
