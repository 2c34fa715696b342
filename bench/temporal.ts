/**
 * npm run bench:temporal [-- --stock] [-- --no-floor] [-- --no-recovery]: on real dev servers, in one run,
 *  - governed allow-path operations vs a bare one-activity workflow (latency and throughput),
 *  - a bare workflow that waits for one Update: Update → completion,
 *  - a bare workflow that waits for one signal (how decisions arrived before they were Updates),
 *  - a governed decision (the service signs it, the `decide` Update) → completion, and a signed Slack
 *    Approve click → completion, through the real service and Bolt receiver,
 *  - the floor: the bare paths on a second server with the other settings, interleaved with the
 *    first, with where each one-activity run spends its time (from its history's timestamps),
 *  - recovery: Update → completion for runs whose worker was just SIGKILLed, with the SDK's
 *    default worker options and with workerTuning.
 * The main server runs temporal-config/dynamicconfig.yaml and the bare worker temporal-config/tuning.ts;
 * `--stock` runs the main server and bare worker as they were before that tuning (the "before").
 * `--postgres=URL` runs the service on a fresh database on that Postgres server (dropped after)
 * instead of embedded PGlite, which shares the worker's event loop: the production shape.
 * Writes bench/results/temporal.json (or temporal-stock.json).
 */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import protos from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { TEST_APPROVERS, WORKFLOW_TEST_POLICY, quietTemporalRuntime, testConfig } from '../test/support/governance.js';
import { FakeSlack } from '../test/support/fakeSlack.js';
import { blockActionsPayload, postSigned } from '../test/support/slackSigning.js';
import { loadDynamicConfig, startDevServer, type DevServerHandle } from '../temporal-config/devServer.js';
import { findFreePort } from '../temporal-config/freePort.js';
import { ensureTemporalCli } from '../temporal-config/install.mjs';
import { superviseProcess } from '../temporal-config/serverProcess.js';
import { clientStartOptions, workerTuning } from '../temporal-config/tuning.js';
import { readSecrets } from '../src/config.js';
import { logger } from '../src/log.js';
import { connectDatabase } from '../src/store/connect.js';
import { startService } from '../src/service/service.js';
import { OperationRegistry } from '../src/operation/registry.js';
import { bareDecisionSignal, bareDecisionUpdate } from './workflows/bare.js';

/**
 * The server's defaults for the keys this project's tuning sets (go.temporal.io/server
 * common/dynamicconfig/constants.go): what "stock" puts back.
 */
const STOCK_DYNAMIC_CONFIG: Record<string, unknown> = {
  'history.transferProcessorMaxPollRPS': 20,
};
const TUNED = loadDynamicConfig();
for (const key of Object.keys(STOCK_DYNAMIC_CONFIG)) {
  if (!(key in TUNED)) throw new Error(`bench/temporal.ts: ${key} is no longer in temporal-config/dynamicconfig.yaml; update STOCK_DYNAMIC_CONFIG`);
}

const args = new Set(process.argv.slice(2));
const stock = args.has('--stock');
const postgresUrl = [...args].find((arg) => arg.startsWith('--postgres='))?.slice('--postgres='.length);
const N = Number(process.env.BENCH_TEMPORAL_OPS ?? 100);
const SIGNING_SECRET = 'bench-signing-secret';
// @temporalio/proto is CommonJS: no named ESM exports.
const { EventType } = protos.temporal.api.enums.v1;
const BARE_WORKFLOWS = fileURLToPath(new URL('./workflows/bare.ts', import.meta.url));
const WORKER_SCRIPT = fileURLToPath(new URL('./workflows/worker.ts', import.meta.url));
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

interface Row { path: string; ops: number; p50: number; p99: number; opsPerSecond: number; mode: string; server: 'tuned' | 'stock' }

function row(path: string, mode: string, samples: number[], seconds: number, server: Row['server']): Row {
  const sorted = [...samples].sort((a, b) => a - b);
  return { path, ops: samples.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), opsPerSecond: samples.length / seconds, mode, server };
}

/** Each run's time, or what it returns when it measures a part of itself. */
async function sequentialSamples(count: number, run: (i: number) => Promise<unknown>): Promise<{ samples: number[]; seconds: number }> {
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const measured = await run(i);
    samples.push(typeof measured === 'number' ? measured : performance.now() - t0);
  }
  return { samples, seconds: (performance.now() - started) / 1000 };
}

async function concurrentSamples(count: number, inFlight: number, run: (i: number) => Promise<unknown>): Promise<{ samples: number[]; seconds: number }> {
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
  return { samples, seconds: (performance.now() - started) / 1000 };
}

/** A headless dev server on free ports with `overrides` on top of dynamicconfig.yaml. */
async function benchServer(overrides: Record<string, unknown>): Promise<{ server: DevServerHandle; connection: Connection; native: NativeConnection; client: Client }> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-bench-temporal-'));
  const server = await startDevServer({ dbFile: join(dir, 'temporal.db'), headless: true, ports: 'free', dynamicConfig: overrides });
  const connection = await Connection.connect({ address: server.address });
  const native = await NativeConnection.connect({ address: server.address });
  return { server, connection, native, client: new Client({ connection, namespace: server.namespace }) };
}

/**
 * The bare baselines on one server: a worker for bench/workflows/bare.ts and the calls the rows
 * time. With tuning, the worker takes workerTuning and starts go through a client on the
 * worker's NativeConnection with clientStartOptions (eager start), as the service would.
 */
async function bareBaseline(server: Awaited<ReturnType<typeof benchServer>>, tuned: boolean, tag: string) {
  const taskQueue = `bare-${tag}`;
  const worker = await Worker.create({
    connection: server.native,
    taskQueue,
    workflowsPath: BARE_WORKFLOWS,
    activities: { noop: async () => 'done' },
    ...(tuned ? workerTuning : {}),
  });
  const running = worker.run();
  const starter = tuned ? new Client({ connection: server.native, namespace: server.server.namespace }) : server.client;
  const startOptions = tuned ? clientStartOptions(server.native) : {};
  let sequence = 0;
  const id = (kind: string) => `${kind}-${tag}-${sequence++}`;
  return {
    activity: async (): Promise<WorkflowHandle> => {
      const handle = await starter.workflow.start('bareWorkflow', { taskQueue, workflowId: id('bare'), ...startOptions });
      await handle.result();
      return handle;
    },
    /** Update → completion of a run already waiting for its Update. */
    update: async (): Promise<number> => {
      const handle = await starter.workflow.start('bareUpdateWorkflow', { taskQueue, workflowId: id('bare-update'), ...startOptions });
      await untilFirstTaskCompleted(handle);
      const t0 = performance.now();
      await handle.executeUpdate(bareDecisionUpdate, { args: ['approve'] });
      await handle.result();
      return performance.now() - t0;
    },
    /** Signal → completion, the same way: what a decision cost when it was a signal. */
    signal: async (): Promise<number> => {
      const handle = await starter.workflow.start('bareSignalWorkflow', { taskQueue, workflowId: id('bare-signal'), ...startOptions });
      await untilFirstTaskCompleted(handle);
      const t0 = performance.now();
      await handle.signal(bareDecisionSignal, 'approve');
      await handle.result();
      return performance.now() - t0;
    },
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

/** The Update must find the run waiting, not ride along with its first workflow task. */
async function untilFirstTaskCompleted(handle: WorkflowHandle): Promise<void> {
  for (;;) {
    const { events } = await handle.fetchHistory();
    if (events?.some((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Runs waiting for their Update are cached on a worker in another process; a second worker joins,
 * the first is SIGKILLed, and each run gets its Update: how long until they complete, i.e. how
 * long a crashed worker's runs stall before the survivor takes them.
 */
async function recoveryAfterKill(server: Awaited<ReturnType<typeof benchServer>>, options: Record<string, unknown>, tag: string, runs: number): Promise<number[]> {
  const taskQueue = `recovery-${tag}`;
  let ready: () => void = () => undefined;
  const polling = new Promise<void>((resolve) => { ready = resolve; });
  const doomed = superviseProcess(process.execPath, ['--import', 'tsx', WORKER_SCRIPT], {
    env: { ...process.env, BENCH_TEMPORAL_ADDRESS: server.server.address, BENCH_TASK_QUEUE: taskQueue, BENCH_WORKER_OPTIONS: JSON.stringify(options) },
    onLine: (line) => line === 'ready' && ready(),
  });
  await Promise.race([polling, doomed.exited.then(() => { throw new Error(`the bench worker exited before it polled:\n${doomed.tail().join('\n')}`); })]);
  const handles: WorkflowHandle[] = [];
  for (let i = 0; i < runs; i++) {
    const handle = await server.client.workflow.start('bareUpdateWorkflow', { taskQueue, workflowId: `recovery-${tag}-${i}` });
    await untilFirstTaskCompleted(handle);
    handles.push(handle);
  }
  const survivor = await Worker.create({
    connection: server.native, taskQueue,
    workflowsPath: BARE_WORKFLOWS,
    activities: { noop: async () => 'done' },
    ...options,
  });
  const surviving = survivor.run();
  doomed.child.kill('SIGKILL');
  await doomed.exited;
  const samples = await Promise.all(handles.map(async (handle) => {
    const t0 = performance.now();
    await handle.executeUpdate(bareDecisionUpdate, { args: ['approve'] });
    await handle.result();
    return performance.now() - t0;
  }));
  survivor.shutdown();
  await surviving;
  return samples;
}

const EVENT_NAMES: Record<number, string> = {
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED]: 'started',
  [EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED]: 'wft scheduled',
  [EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED]: 'wft started',
  [EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED]: 'wft completed',
  [EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]: 'activity scheduled',
  [EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED]: 'activity started',
  [EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED]: 'activity completed',
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED]: 'completed',
  [EventType.EVENT_TYPE_MARKER_RECORDED]: 'marker (local activity)',
  [EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES]: 'search attributes',
  [EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED]: 'properties modified',
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED]: 'update accepted',
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED]: 'update completed',
  [EventType.EVENT_TYPE_TIMER_STARTED]: 'timer started',
  [EventType.EVENT_TYPE_TIMER_CANCELED]: 'timer cancelled',
};

/** Median time between consecutive history events of the same shape: which hop waits. */
async function hops(handles: WorkflowHandle[]): Promise<Array<{ hop: string; p50: number }>> {
  const byHop = new Map<string, number[]>();
  for (const handle of handles) {
    const events = (await handle.fetchHistory()).events ?? [];
    const at = (i: number) => {
      const time = events[i].eventTime!;
      return Number(time.seconds) * 1000 + (time.nanos ?? 0) / 1e6;
    };
    for (let i = 1; i < events.length; i++) {
      const name = (j: number) => EVENT_NAMES[events[j].eventType ?? -1] ?? String(events[j].eventType);
      const hop = `${String(i).padStart(2)} ${name(i - 1)} → ${name(i)}`;
      byHop.set(hop, [...(byHop.get(hop) ?? []), at(i) - at(i - 1)]);
    }
  }
  return [...byHop].map(([hop, samples]) => ({ hop, p50: quantile([...samples].sort((a, b) => a - b), 0.5) }));
}

/** A database of its own on a Postgres server, for one run. */
async function freshPostgresDatabase(serverUrl: string, name: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = connectDatabase(serverUrl, { max: 1 });
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

quietTemporalRuntime();
// The service logs every click and decision at info; the table is what this prints.
logger.level = process.env.TOLLGATE_LOG_LEVEL ?? 'warn';
const rows: Row[] = [];
const mainServer: Row['server'] = stock ? 'stock' : 'tuned';
const main = await benchServer(stock ? STOCK_DYNAMIC_CONFIG : {});
const runId = Date.now().toString(36);
const benchDatabase = postgresUrl ? await freshPostgresDatabase(postgresUrl, `tollgate_bench_${runId}`) : undefined;
const fake = await FakeSlack.start();
const config = await testConfig(WORKFLOW_TEST_POLICY, {
  address: main.server.address,
  approvers: TEST_APPROVERS,
  slack: { apiUrl: fake.apiUrl, approvalChannel: 'C0BENCH' },
  database: benchDatabase ? { url: benchDatabase.url } : { dataDir: await mkdtemp(join(tmpdir(), 'tollgate-bench-db-')), embeddedPort: await findFreePort() },
  server: { port: 0 },
});
config.secrets = readSecrets({ SLACK_BOT_TOKEN: 'xoxb-bench', SLACK_SIGNING_SECRET: SIGNING_SECRET });
const service = await startService({ config, operations: new OperationRegistry().register('noop', async () => 'done') });
const client = service.client;
const events = `http://127.0.0.1:${service.port}/slack/events`;
const bare = await bareBaseline(main, !stock, `main-${runId}`);

const governed = (i: number, tag: string) => client.submit({ id: `bench-${tag}-${runId}-${i}`, subject: { identifier: 'bench' }, action: 'job:run', resource: 'job://bench', operation: { name: 'noop' } }).then((h) => h.result());

async function awaitingApproval(id: string): Promise<void> {
  for (;;) {
    if ((await client.status(id)).status === 'awaiting_approval') return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

console.log(`main server: ${mainServer}${stock ? ' (dynamic config before tuning, default worker and client options)' : ''}; warming up…`);
for (let i = 0; i < 10; i++) {
  await governed(i, 'warm');
  await bare.activity();
  await bare.update();
}

// Interleave the two paths in blocks so machine noise hits both alike.
const governedBlocks: number[] = [];
const bareBlocks: number[] = [];
for (let block = 0; block < 5; block++) {
  const g = await sequentialSamples(N / 5, (i) => governed(block * 1000 + i, 'seq'));
  const b = await sequentialSamples(N / 5, () => bare.activity());
  governedBlocks.push(row('', '', g.samples, g.seconds, mainServer).p50);
  bareBlocks.push(row('', '', b.samples, b.seconds, mainServer).p50);
}
const add = (path: string, mode: string, measured: { samples: number[]; seconds: number }, server = mainServer) => {
  rows.push(row(path, mode, measured.samples, measured.seconds, server));
  return rows.at(-1)!;
};
const governedSeq = add('governed allow-path (submit → result)', 'sequential', await sequentialSamples(N, (i) => governed(i, 'lat')));
const governedHops = await hops(Array.from({ length: N }, (_, i) => client.temporal.workflow.getHandle(`bench-lat-${runId}-${i}`)));
const bareSeq = add('bare one-activity workflow', 'sequential', await sequentialSamples(N, () => bare.activity()));
const governedTput = add('governed allow-path', '32 in flight', await concurrentSamples(4 * N, 32, (i) => governed(i, 'tput')));
const bareTput = add('bare one-activity workflow', '32 in flight', await concurrentSamples(4 * N, 32, () => bare.activity()));
const bareUpdate = add('bare Update → completion', 'sequential', await sequentialSamples(N, () => bare.update()));
add('bare signal → completion (the old decision path)', 'sequential', await sequentialSamples(N, () => bare.signal()));

const decide = add('governed decide Update → completion', 'sequential', await sequentialSamples(N / 2, async (i) => {
  const id = `bench-decide-${runId}-${i}`;
  const handle = await client.submit({ id, subject: { identifier: 'bob' }, action: 'data:export', resource: 'dataset://bench', operation: { name: 'noop' } });
  await awaitingApproval(id);
  const t0 = performance.now();
  await service.decisions.decide({ operationId: id, identity: 'alice', channel: 'api', decision: 'approve' });
  await handle.result();
  return performance.now() - t0;
}));

// From the Update on: what a decided run does before it completes.
const decideHops = (await hops(Array.from({ length: N / 2 }, (_, i) => client.temporal.workflow.getHandle(`bench-decide-${runId}-${i}`))))
  .filter(({ hop }, _, all) => parseInt(hop, 10) >= parseInt(all.find((entry) => entry.hop.includes('update accepted'))?.hop ?? '0', 10))
  .sort((a, b) => parseInt(a.hop, 10) - parseInt(b.hop, 10));

add('signed Slack click → completion', 'sequential', await sequentialSamples(N / 2, async (i) => {
  const id = `bench-click-${runId}-${i}`;
  const handle = await client.submit({ id, subject: { identifier: 'bob' }, action: 'data:export', resource: 'dataset://bench', operation: { name: 'noop' } });
  await fake.waitFor('chat.postMessage', (call) => JSON.stringify(call.body).includes(id), 20_000);
  const t0 = performance.now();
  const response = await postSigned(events, blockActionsPayload({ actionId: 'tollgate_approve', value: id, userId: 'UALICE', channel: 'C0BENCH' }), { secret: SIGNING_SECRET });
  if (response.status !== 200) throw new Error(`click refused: ${response.status}`);
  await handle.result();
  return performance.now() - t0;
}));

// The floor: the same bare paths on a server with the other settings, in alternating blocks,
// plus where a one-activity run spends its time on each.
const floor: Record<string, Array<{ hop: string; p50: number }>> = {};
if (!args.has('--no-floor')) {
  const otherServer: Row['server'] = stock ? 'tuned' : 'stock';
  const other = await benchServer(stock ? {} : STOCK_DYNAMIC_CONFIG);
  const otherBare = await bareBaseline(other, stock, `other-${runId}`);
  for (let i = 0; i < 10; i++) await otherBare.activity();
  const sides = { [mainServer]: bare, [otherServer]: otherBare };
  const empty = () => ({ activity: [] as number[], update: [] as number[], handles: [] as WorkflowHandle[], seconds: 0, inFlight: [] as number[], inFlightSeconds: 0 });
  const collected = { tuned: empty(), stock: empty() };
  for (let block = 0; block < 5; block++) {
    for (const side of ['stock', 'tuned'] as const) {
      const into = collected[side];
      const t0 = performance.now();
      for (let i = 0; i < N / 5; i++) {
        const started = performance.now();
        into.handles.push(await sides[side].activity());
        into.activity.push(performance.now() - started);
      }
      into.seconds += (performance.now() - t0) / 1000;
      for (let i = 0; i < N / 5; i++) into.update.push(await sides[side].update());
      // Throughput too: more, smaller task loads must not cost what they save in waiting.
      const busy = await concurrentSamples((4 * N) / 5, 32, () => sides[side].activity());
      into.inFlight.push(...busy.samples);
      into.inFlightSeconds += busy.seconds;
    }
  }
  for (const side of ['stock', 'tuned'] as const) {
    rows.push(row('floor: bare one-activity workflow', 'interleaved', collected[side].activity, collected[side].seconds, side));
    rows.push(row('floor: bare Update → completion', 'interleaved', collected[side].update, 1, side));
    rows.push(row('floor: bare one-activity workflow, 32 in flight', 'interleaved', collected[side].inFlight, collected[side].inFlightSeconds, side));
    floor[side] = await hops(collected[side].handles);
  }
  await otherBare.stop();
  await other.native.close();
  await other.connection.close();
  await other.server.stop();
}

if (!args.has('--no-recovery')) {
  for (const [label, options] of [['SDK defaults', {}], ['workerTuning', workerTuning]] as const) {
    const samples = await recoveryAfterKill(main, options, `${label.split(' ')[0]}-${runId}`, 5);
    rows.push(row(`recovery: Update → done, worker killed (${label})`, 'after SIGKILL', samples, 1, mainServer));
  }
}

const ratio = governedSeq.p50 / bareSeq.p50;
const blockRatio = governedBlocks.reduce((a, b) => a + b, 0) / bareBlocks.reduce((a, b) => a + b, 0);
const throughputRatio = governedTput.opsPerSecond / bareTput.opsPerSecond;
const approvalRatio = decide.p50 / bareUpdate.p50;
const pad = (value: string, width: number) => value.padStart(width);
console.log(`\n${'path'.padEnd(58)} ${pad('server', 6)} ${pad('mode', 13)} ${pad('ops', 5)} ${pad('p50 ms', 8)} ${pad('p99 ms', 8)} ${pad('ops/s', 7)}`);
for (const r of rows) {
  console.log(`${r.path.padEnd(58)} ${pad(r.server, 6)} ${pad(r.mode, 13)} ${pad(String(r.ops), 5)} ${pad(r.p50.toFixed(1), 8)} ${pad(r.p99.toFixed(1), 8)} ${pad((r.mode === 'interleaved' && r.path.includes('Update')) || r.mode === 'after SIGKILL' ? '' : r.opsPerSecond.toFixed(1), 7)}`);
}
console.log(`\nwhere a governed allow-path run waits (${mainServer} server; p50 ms between history events):`);
for (const { hop, p50 } of governedHops) console.log(`  ${hop.padEnd(50)} ${pad(p50.toFixed(1), 6)}`);
console.log('\nwhere a governed run spends its time once the decide Update arrives (p50 ms between history events):');
for (const { hop, p50 } of decideHops) console.log(`  ${hop.padEnd(50)} ${pad(p50.toFixed(1), 6)}`);
for (const [side, table] of Object.entries(floor)) {
  console.log(`\nwhere a bare one-activity run waits (${side} server; p50 ms between history events):`);
  for (const { hop, p50 } of table) console.log(`  ${hop.padEnd(50)} ${pad(p50.toFixed(1), 6)}`);
}
const verdict = (met: boolean) => (met ? 'MET' : 'MISSED');
console.log(`\ngoverned / bare p50 latency: ${ratio.toFixed(2)}× (interleaved blocks: ${blockRatio.toFixed(2)}×; goal ≤ 1.5×) ${verdict(ratio <= 1.5)}`);
console.log(`governed / bare throughput, 32 in flight: ${throughputRatio.toFixed(2)}× (goal ≥ 0.9×) ${verdict(throughputRatio >= 0.9)}`);
console.log(`governed decide Update → completion / bare Update → completion p50: ${approvalRatio.toFixed(2)}× (goal ≤ 1.2×) ${verdict(approvalRatio <= 1.2)}`);

const temporalVersion = execFileSync(await ensureTemporalCli({ log: () => undefined }), ['--version']).toString().trim();
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(new URL(`./results/${stock ? 'temporal-stock' : 'temporal'}.json`, import.meta.url), JSON.stringify({
  date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, temporal: temporalVersion,
  mainServer, dynamicConfig: { tuned: TUNED, stock: { ...TUNED, ...STOCK_DYNAMIC_CONFIG } }, workerTuning,
  rows, floorHops: floor, governedHops, decideHops, governedOverBareP50: ratio, interleavedGovernedOverBareP50: blockRatio,
  goals: {
    governedOverBare: { target: 1.5, value: ratio, met: ratio <= 1.5 },
    governedOverBareThroughput: { target: 0.9, value: throughputRatio, met: throughputRatio >= 0.9 },
    approvalOverBareUpdateP50: { target: 1.2, value: approvalRatio, met: approvalRatio <= 1.2 },
  },
}, null, 2));
console.log(`wrote bench/results/${stock ? 'temporal-stock' : 'temporal'}.json`);

await bare.stop();
await service.stop();
await fake.close();
await main.native.close();
await main.connection.close();
await main.server.stop();
await benchDatabase?.drop();
