/**
 * npm run bench:temporal: on one real dev server, in one run,
 *  - governed allow-path operations vs a bare one-activity workflow (latency and throughput),
 *  - approval signal → completion,
 *  - signed Slack Approve click → completion, through the real service and Bolt receiver.
 * Writes bench/results/temporal.json.
 */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { Worker } from '@temporalio/worker';
import { startTestTemporal } from '../test/support/temporal.js';
import { TEST_APPROVERS, WORKFLOW_TEST_POLICY, quietTemporalRuntime, testConfig } from '../test/support/governance.js';
import { FakeSlack } from '../test/support/fakeSlack.js';
import { blockActionsPayload, postSigned } from '../test/support/slackSigning.js';
import { findFreePort } from '../temporal-config/freePort.js';
import { ensureTemporalCli } from '../temporal-config/install.mjs';
import { readSecrets } from '../src/config.js';
import { startService } from '../src/service/service.js';
import { OperationRegistry } from '../src/operation/registry.js';

const SIGNING_SECRET = 'bench-signing-secret';
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

interface Row { path: string; ops: number; p50: number; p99: number; opsPerSecond: number; mode: string }

async function sequential(path: string, count: number, run: (i: number) => Promise<unknown>): Promise<Row> {
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const measured = await run(i);
    samples.push(typeof measured === 'number' ? measured : performance.now() - t0);
  }
  const elapsed = (performance.now() - started) / 1000;
  samples.sort((a, b) => a - b);
  return { path, ops: count, p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), opsPerSecond: count / elapsed, mode: 'sequential' };
}

async function concurrent(path: string, count: number, inFlight: number, run: (i: number) => Promise<unknown>): Promise<Row> {
  const samples: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      await run(i);
      samples.push(performance.now() - t0);
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  samples.sort((a, b) => a - b);
  return { path, ops: count, p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), opsPerSecond: count / elapsed, mode: `${inFlight} in flight` };
}

quietTemporalRuntime();
const runId = Date.now().toString(36);
const temporal = await startTestTemporal();
const fake = await FakeSlack.start();
const config = await testConfig(WORKFLOW_TEST_POLICY, {
  address: temporal.address,
  approvers: TEST_APPROVERS,
  slack: { apiUrl: fake.apiUrl, approvalChannel: 'C0BENCH' },
  database: { dataDir: await mkdtemp(join(tmpdir(), 'tollgate-bench-db-')), embeddedPort: await findFreePort() },
  server: { port: 0 },
});
config.secrets = readSecrets({ SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SIGNING_SECRET });
const service = await startService({ config, operations: new OperationRegistry().register('noop', async () => 'done') });
const client = service.client;
const events = `http://127.0.0.1:${service.port}/slack/events`;

const bareQueue = `bare-${runId}`;
const bareWorker = await Worker.create({
  connection: temporal.nativeConnection,
  taskQueue: bareQueue,
  workflowsPath: fileURLToPath(new URL('./bareWorkflow.ts', import.meta.url)),
  activities: { noop: async () => 'done' },
});
const bareRunning = bareWorker.run();

const governed = (i: number, tag: string) => client.submit({ id: `bench-${tag}-${runId}-${i}`, subject: { identifier: 'bench' }, action: 'job:run', resource: 'job://bench', operation: { name: 'noop' } }).then((h) => h.result());
const bare = (i: number, tag: string) => client.temporal.workflow.execute('bareWorkflow', { taskQueue: bareQueue, workflowId: `bare-${tag}-${runId}-${i}` });

async function awaitingApproval(id: string): Promise<void> {
  for (;;) {
    if ((await client.status(id)).status === 'awaiting_approval') return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

console.log('warming up…');
for (let i = 0; i < 10; i++) {
  await governed(i, 'warm');
  await bare(i, 'warm');
}

const rows: Row[] = [];
const N = Number(process.env.BENCH_TEMPORAL_OPS ?? 100);
// Interleave the two paths in blocks so machine noise hits both alike.
const governedSamples: number[] = [];
const bareSamples: number[] = [];
for (let block = 0; block < 5; block++) {
  const g = await sequential('governed', N / 5, (i) => governed(block * 1000 + i, 'seq'));
  const b = await sequential('bare', N / 5, (i) => bare(block * 1000 + i, 'seq'));
  governedSamples.push(g.p50);
  bareSamples.push(b.p50);
}
rows.push(await sequential('governed allow-path (submit → result)', N, (i) => governed(i, 'lat')));
rows.push(await sequential('bare one-activity workflow', N, (i) => bare(i, 'lat')));
rows.push(await concurrent('governed allow-path', 4 * N, 32, (i) => governed(i, 'tput')));
rows.push(await concurrent('bare one-activity workflow', 4 * N, 32, (i) => bare(i, 'tput')));

rows.push(await sequential('approval decision (decide Update) → completion', N / 2, async (i) => {
  const id = `bench-decide-${runId}-${i}`;
  const handle = await client.submit({ id, subject: { identifier: 'bob' }, action: 'data:export', resource: 'dataset://bench', operation: { name: 'noop' } });
  await awaitingApproval(id);
  const t0 = performance.now();
  await service.decisions.decide({ operationId: id, identity: 'alice', channel: 'api', decision: 'approve' });
  await handle.result();
  return performance.now() - t0;
}));

rows.push(await sequential('signed Slack click → completion', N / 2, async (i) => {
  const id = `bench-click-${runId}-${i}`;
  const handle = await client.submit({ id, subject: { identifier: 'bob' }, action: 'data:export', resource: 'dataset://bench', operation: { name: 'noop' } });
  await fake.waitFor('chat.postMessage', (call) => JSON.stringify(call.body).includes(id), 20_000);
  const t0 = performance.now();
  const response = await postSigned(events, blockActionsPayload({ actionId: 'tollgate_approve', value: id, userId: 'UALICE', channel: 'C0BENCH' }), { secret: SIGNING_SECRET });
  if (response.status !== 200) throw new Error(`click refused: ${response.status}`);
  await handle.result();
  return performance.now() - t0;
}));

const ratio = rows[0].p50 / rows[1].p50;
const blockRatio = governedSamples.reduce((a, b) => a + b, 0) / bareSamples.reduce((a, b) => a + b, 0);
const pad = (value: string, width: number) => value.padStart(width);
console.log(`\n${'path'.padEnd(42)} ${pad('mode', 14)} ${pad('ops', 5)} ${pad('p50 ms', 8)} ${pad('p99 ms', 8)} ${pad('ops/s', 7)}`);
for (const row of rows) {
  console.log(`${row.path.padEnd(42)} ${pad(row.mode, 14)} ${pad(String(row.ops), 5)} ${pad(row.p50.toFixed(1), 8)} ${pad(row.p99.toFixed(1), 8)} ${pad(row.opsPerSecond.toFixed(1), 7)}`);
}
const signal = rows.find((r) => r.path.startsWith('approval decision'))!;
console.log(`\ngoverned / bare p50 latency: ${ratio.toFixed(2)}× (interleaved blocks: ${blockRatio.toFixed(2)}×; goal ≤ 1.5×) ${ratio <= 1.5 ? 'MET' : 'MISSED'}`);
console.log(`approval decision → completion p50: ${signal.p50.toFixed(1)} ms (goal ≤ 50 ms) ${signal.p50 <= 50 ? 'MET' : 'MISSED'}`);

const temporalVersion = execFileSync(await ensureTemporalCli({ log: () => undefined }), ['--version']).toString().trim();
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(new URL('./results/temporal.json', import.meta.url), JSON.stringify({
  date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, temporal: temporalVersion,
  rows, governedOverBareP50: ratio, interleavedGovernedOverBareP50: blockRatio,
  goals: { governedOverBare: { target: 1.5, met: ratio <= 1.5 }, signalToCompletionP50Ms: { target: 50, met: signal.p50 <= 50 } },
}, null, 2));
console.log('wrote bench/results/temporal.json');

bareWorker.shutdown();
await bareRunning;
await service.stop();
await fake.close();
await temporal.close();
