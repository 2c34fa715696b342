import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTemporalCli, TEMPORAL_SERVER_VERSION } from '../../temporal-config/install.mjs';
import { clientStartOptions, workerTuning } from '../../temporal-config/tuning.js';
import { startTestTemporal, type TestTemporal } from '../support/temporal.js';
import { quietTemporalRuntime } from '../support/governance.js';

let temporal: TestTemporal;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `tuning-${Date.now()}`;

beforeAll(async () => {
  quietTemporalRuntime();
  temporal = await startTestTemporal();
  worker = await Worker.create({
    connection: temporal.nativeConnection,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('../../bench/workflows/bare.ts', import.meta.url)),
    activities: { noop: async () => 'done' },
    ...workerTuning,
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await temporal?.close();
});

describe('temporal-config/tuning', () => {
  it('starts workflows eagerly from a client on the worker\'s own connection', async () => {
    const client = new Client({ connection: temporal.nativeConnection, namespace: temporal.namespace });
    const handle = await client.workflow.start('bareWorkflow', { taskQueue, workflowId: `eager-${Date.now()}`, ...clientStartOptions(temporal.nativeConnection) });
    expect(handle.eagerlyStarted).toBe(true);
    expect(await handle.result()).toBe('done');
  });

  it('asks nothing special of a plain client connection, which could not start eagerly', async () => {
    expect(clientStartOptions(temporal.connection)).toEqual({});
    const handle = await temporal.client.workflow.start('bareWorkflow', { taskQueue, workflowId: `plain-${Date.now()}`, ...clientStartOptions(temporal.connection) });
    expect(handle.eagerlyStarted).toBe(false);
    expect(await handle.result()).toBe('done');
  });
});

describe('the pinned real server', () => {
  it('is the server release the pinned CLI embeds, so both run the same server code', async () => {
    const version = execFileSync(await ensureTemporalCli({ log: () => undefined }), ['--version']).toString();
    expect(/\(Server (\S+?),/.exec(version)?.[1]).toBe(TEMPORAL_SERVER_VERSION);
  });
});
