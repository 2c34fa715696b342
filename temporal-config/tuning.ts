/**
 * Worker and client settings that go with temporal-config/dynamicconfig.yaml (the server side of
 * the same latency work; `npm run bench:temporal` measures both, see bench/README.md).
 */
import type { ConnectionLike, WorkflowStartOptions } from '@temporalio/client';
import { NativeConnection, type WorkerOptions } from '@temporalio/worker';

/** Spread into every Tollgate `Worker.create(...)` (src/service/worker.ts). */
export const workerTuning = {
  // A workflow task for a cached run goes to the worker that ran it (its sticky queue). When that
  // worker dies without saying goodbye (SIGKILL, OOM, a lost node) the server sends the task to
  // the shared queue only after this long, so every operation that worker held stalls for it.
  // The default is 10 s; 2 s still covers a busy worker's pause, and a task that times out here is
  // only replayed elsewhere, never lost.
  stickyQueueScheduleToStartTimeout: '2s',
} satisfies Partial<WorkerOptions>;

/**
 * Start options for `client.workflow.start(...)`. Eager workflow start hands the first workflow
 * task back in the start call's response to a worker in the same process, skipping one dispatch
 * through matching. The SDK allows it only on a client built on the worker's NativeConnection (a
 * plain Connection would throw), so an agent's or the CLI's client gets `{}` and a client inside
 * the service (sharing the worker's connection) gets the eager start.
 */
export function clientStartOptions(connection: ConnectionLike): Pick<WorkflowStartOptions, 'requestEagerStart'> {
  return connection instanceof NativeConnection ? { requestEagerStart: true } : {};
}
