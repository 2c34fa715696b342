/**
 * A Tollgate worker in its own process, for tests that kill workers or run several. Its `record`
 * operation appends `<operationId> <pid>` to TOLLGATE_TEST_LEDGER, so a test can count side effects.
 */
import { appendFileSync } from 'node:fs';
import { parseConfig } from '../../src/config.js';
import { OperationRegistry } from '../../src/operation/registry.js';
import { createTollgateWorker } from '../../src/service/worker.js';
import { RecordingApprovalSink, quietTemporalRuntime } from './governance.js';

quietTemporalRuntime();
const config = parseConfig(JSON.parse(process.env.TOLLGATE_TEST_CONFIG!), { env: {} });
const ledger = process.env.TOLLGATE_TEST_LEDGER!;
const operations = new OperationRegistry().register('record', async (_args, context) => {
  appendFileSync(ledger, `${context.operationId} ${process.pid}\n`);
  return { pid: process.pid };
});
const worker = await createTollgateWorker({ config, operations, approvals: new RecordingApprovalSink(), identity: `test-worker-${process.pid}` });
const running = worker.run();
const ready = setInterval(() => {
  if (worker.isPolling()) {
    clearInterval(ready);
    process.stdout.write('ready\n');
  }
}, 50);
process.on('SIGTERM', () => void worker.shutdown());
await running;
