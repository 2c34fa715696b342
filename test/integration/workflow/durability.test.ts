import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTemporal, type TestTemporal } from '../../support/temporal.js';
import { TEST_APPROVERS, WORKFLOW_TEST_POLICY, eventually, testConfig } from '../../support/governance.js';
import { ledgerEntries, startWorkerProcess, type WorkerProcess } from '../../support/workers.js';
import { GovernanceClient } from '../../../src/client/GovernanceClient.js';
import type { TollgateConfig } from '../../../src/config.js';
import { testDecider } from '../../support/decide.js';

let temporal: TestTemporal;
let config: TollgateConfig;
let client: GovernanceClient;
let ledger: string;
const workers: WorkerProcess[] = [];
const requester = { identifier: 'bob', roles: ['engineer'] };

beforeAll(async () => {
  temporal = await startTestTemporal();
  config = await testConfig(WORKFLOW_TEST_POLICY, { address: temporal.address, approvers: TEST_APPROVERS });
  ledger = join(await mkdtemp(join(tmpdir(), 'tollgate-ledger-')), 'ledger.txt');
  client = await GovernanceClient.connect(config);
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  await client?.close();
  await temporal?.close();
});

async function startWorker(): Promise<WorkerProcess> {
  const worker = await startWorkerProcess(config, ledger);
  workers.push(worker);
  return worker;
}

const countFor = (id: string) => ledgerEntries(ledger).filter((entry) => entry.id === id).length;

describe('durability', () => {
  it('survives a killed worker: a new worker picks up the wait and the handler runs exactly once', { timeout: 180_000 }, async () => {
    const first = await startWorker();
    const id = `durable-worker-${Date.now()}`;
    const handle = await client.submit({ id, subject: requester, action: 'data:export', resource: 'dataset://sales', operation: { name: 'record' } });
    await eventually(async () => (await client.status(id)).status === 'awaiting_approval', 'awaiting approval');
    await first.kill('SIGKILL');
    await startWorker();
    await testDecider(client.temporal, config).approve(id, 'alice');
    const result = await handle.result();
    expect(result.status).toBe('completed');
    expect(countFor(id)).toBe(1);
  });

  it('survives a dev-server restart with the same database file', { timeout: 180_000 }, async () => {
    const id = `durable-server-${Date.now()}`;
    const handle = await client.submit({ id, subject: requester, action: 'data:export', resource: 'dataset://sales', operation: { name: 'record' } });
    await eventually(async () => (await client.status(id)).status === 'awaiting_approval', 'awaiting approval');
    const deadlineBefore = (await client.status(id)).approval?.deadline;
    await temporal.restart();
    const view = await eventually(async () => client.status(id), 'the workflow after restart', 60_000);
    expect(view.status).toBe('awaiting_approval');
    expect(view.approval?.deadline).toBe(deadlineBefore);
    await testDecider(client.temporal, config).approve(id, 'carol');
    expect((await handle.result()).status).toBe('completed');
    expect(countFor(id)).toBe(1);
  });
});

describe('scale-out', () => {
  it('spreads 200 concurrent operations over two workers, each handler running exactly once', async () => {
    while (workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null).length < 2) await startWorker();
    const live = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    const ids = Array.from({ length: 200 }, (_, i) => `scale-${Date.now()}-${i}`);
    const handles = await Promise.all(ids.map((id) => client.submit({ id, subject: requester, action: 'job:run', resource: `job://batch/${id}`, operation: { name: 'record' } })));
    const results = await Promise.all(handles.map((h) => h.result()));
    expect(results.every((r) => r.status === 'completed')).toBe(true);
    const entries = ledgerEntries(ledger).filter((entry) => entry.id.startsWith('scale-'));
    expect(entries).toHaveLength(200);
    expect(new Set(entries.map((e) => e.id)).size).toBe(200);
    const byWorker = new Set(entries.map((e) => e.pid));
    expect([...byWorker].sort()).toEqual(live.map((w) => w.pid).sort());
    // The dev server's SQLite store does roughly 5-10 workflows a second on two busy cores.
  }, 300_000);
});
