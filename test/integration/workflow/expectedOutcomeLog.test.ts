/**
 * What the worker's log says when a governed operation is denied, or fails, with the SDK's real
 * logging path: the workflow thread, the sink's postMessage, Runtime.install({ logger }).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from '@temporalio/worker';
import { startTestTemporal, type TestTemporal } from '../../support/temporal.js';
import { RecordingApprovalSink, TEST_APPROVERS, WORKFLOW_TEST_POLICY, eventually, testConfig } from '../../support/governance.js';
import { GovernanceClient } from '../../../src/client/GovernanceClient.js';
import { createTollgateWorker, type TollgateWorker } from '../../../src/service/worker.js';
import { OperationRegistry } from '../../../src/operation/registry.js';
import { createLogger } from '../../../src/log.js';
import { temporalLogger } from '../../../src/temporal/logger.js';

const chunks: string[] = [];
const records = () => chunks.join('').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
const forWorkflow = (id: string) => records().filter((record) => record.workflowId === id);

let temporal: TestTemporal;
let worker: TollgateWorker;
let client: GovernanceClient;
const requester = { identifier: 'bob', roles: ['engineer'] };

beforeAll(async () => {
  Runtime.install({ logger: temporalLogger({ log: createLogger({ sink: { write: (text) => void chunks.push(text) }, format: 'json', level: 'info' }) }) });
  temporal = await startTestTemporal();
  const config = await testConfig(WORKFLOW_TEST_POLICY, { address: temporal.address, approvers: TEST_APPROVERS });
  const operations = new OperationRegistry().register('explode', async () => {
    throw new Error('cannot reach postgres://app:hunter2@db.internal/app');
  });
  worker = await createTollgateWorker({ config, approvals: new RecordingApprovalSink(), operations, connection: temporal.nativeConnection });
  void worker.run();
  client = await GovernanceClient.connect(config);
});

afterAll(async () => {
  await client?.close();
  await worker?.shutdown();
  await temporal?.close();
});

describe('the worker log', () => {
  it('says a denial in one info line, without a stack trace', async () => {
    const id = `deny-${Date.now().toString(36)}`;
    const handle = await client.submit({ id, subject: requester, action: 'data:delete', resource: 'dataset://production/sales' });
    await handle.result().catch(() => undefined);
    const [line, ...others] = await eventually(async () => forWorkflow(id).length > 0 && forWorkflow(id), `the log line for ${id}`);
    expect(others).toEqual([]);
    expect(line).toMatchObject({
      level: 30, outcome: 'PolicyViolation', workflowType: 'governedOperation',
      msg: 'Workflow ended: PolicyViolation: denied by rule deny_prod_delete: No deletes in production',
    });
    expect(JSON.stringify(line)).not.toContain('stack');
  });

  it('keeps a real failure a warning with its stack, and redacts the DSN in it', async () => {
    const id = `fail-${Date.now().toString(36)}`;
    const handle = await client.submit({ id, subject: requester, action: 'job:run', resource: 'job://nightly', operation: { name: 'explode' } });
    await handle.result().catch(() => undefined);
    const failed = await eventually(async () => forWorkflow(id).find((record) => record.msg === 'Workflow failed'), `"Workflow failed" for ${id}`);
    expect(failed.level).toBe(40);
    expect((failed.err as { stack: string }).stack).toMatch(/^ApplicationFailure: operation explode failed: cannot reach postgres:\/\/app:\[REDACTED\]@db\.internal\/app/);
    expect(forWorkflow(id).some((record) => record.msg === 'Activity failed' && record.level === 40)).toBe(true);
    expect(chunks.join('')).not.toContain('hunter2');
  });
});
