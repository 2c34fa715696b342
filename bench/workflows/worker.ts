/**
 * A bare worker in a process of its own, for the benchmark that SIGKILLs one: it polls
 * BENCH_TASK_QUEUE on BENCH_TEMPORAL_ADDRESS with BENCH_WORKER_OPTIONS (JSON worker options)
 * and prints "ready" once it polls.
 */
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';

Runtime.install({ logger: new DefaultLogger('ERROR') });
const connection = await NativeConnection.connect({ address: process.env.BENCH_TEMPORAL_ADDRESS! });
const worker = await Worker.create({
  connection,
  taskQueue: process.env.BENCH_TASK_QUEUE!,
  workflowsPath: fileURLToPath(new URL('./bare.ts', import.meta.url)),
  activities: { noop: async () => 'done' },
  ...JSON.parse(process.env.BENCH_WORKER_OPTIONS ?? '{}'),
});
const running = worker.run();
const ready = setInterval(() => {
  if (worker.getState() === 'RUNNING') {
    clearInterval(ready);
    process.stdout.write('ready\n');
  }
}, 20);
await running;
