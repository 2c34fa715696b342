import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { startTestTemporal, type TestTemporal } from '../../support/temporal.js';
import { quietTemporalRuntime } from '../../support/governance.js';
import { REDACTED } from '../../../src/redact.js';
import { temporalLogger } from '../../../src/temporal/logger.js';

let temporal: TestTemporal;
beforeAll(async () => {
  quietTemporalRuntime();
  temporal = await startTestTemporal();
});
afterAll(() => temporal?.close());

it('redacts inside the workflow sandbox, deterministically, with the defaults or its own options', async () => {
  // Bundling fails on a Node module; the sandbox throws on clocks and randomness that are not its own.
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./redactingWorkflow.ts', import.meta.url)),
    logger: temporalLogger(),
  });
  const taskQueue = `redact-${Date.now().toString(36)}`;
  const worker = await Worker.create({ connection: temporal.nativeConnection, namespace: temporal.namespace, taskQueue, workflowBundle });
  const value = { token: 'abc', employee_id: 'E-7', dsn: 'postgres://app:hunter2@db/app', max_tokens: 4096 };
  const result = await worker.runUntil(temporal.client.workflow.execute('redactsInWorkflow', {
    taskQueue, workflowId: taskQueue, args: [{ value, keys: ['employee_id'] }],
  }));
  expect(result).toEqual({
    shared: { token: REDACTED, employee_id: 'E-7', dsn: `postgres://app:${REDACTED}@db/app`, max_tokens: 4096 },
    configured: { token: REDACTED, employee_id: REDACTED, dsn: `postgres://app:${REDACTED}@db/app`, max_tokens: 4096 },
    message: `operation failed: {"token":"${REDACTED}","employee_id":"E-7","dsn":"postgres://app:${REDACTED}@db/app","max_tokens":4096}`,
  });
});
