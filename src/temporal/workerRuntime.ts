import { NativeConnection, type Worker } from '@temporalio/worker';
import { temporalConnectionOptions } from '../client/connection.js';
import type { TollgateConfig } from '../config.js';
import { InfrastructureUnavailableError } from '../errors.js';

/** A worker and its connection, with the lifecycle every Tollgate worker shares. */
export interface WorkerRuntime {
  worker: Worker;
  connection: NativeConnection;
  /** Polls until shutdown; resolves when the worker has stopped (and closed a connection it opened). */
  run(): Promise<void>;
  shutdown(): Promise<void>;
  /** True once the worker is polling its task queue (what /healthz reports). */
  isPolling(): boolean;
}

/** Connect (unless given a connection), create the worker, and wrap its lifecycle. */
export async function workerRuntime(
  config: TollgateConfig,
  connection: NativeConnection | undefined,
  create: (connection: NativeConnection) => Promise<Worker>,
): Promise<WorkerRuntime> {
  const ownsConnection = !connection;
  let native = connection;
  if (!native) {
    const options = temporalConnectionOptions(config);
    try {
      native = await NativeConnection.connect(options);
    } catch (error) {
      throw new InfrastructureUnavailableError(`cannot reach Temporal at ${options.address}: ${(error as Error).message.split('\n')[0]}`, { cause: error });
    }
  }
  const worker = await create(native);
  let running: Promise<void> | undefined;
  return {
    worker,
    connection: native,
    run() {
      running ??= worker.run().finally(async () => {
        if (ownsConnection) await native!.close();
      });
      return running;
    },
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
    isPolling: () => worker.getState() === 'RUNNING',
  };
}
