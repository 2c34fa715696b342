/**
 * The production-shaped stack on one machine (docs/scale-out.md): a real Temporal server on
 * Postgres, Tollgate's own database on the same Postgres, two `tollgate worker --no-receiver`
 * processes and a `tollgate receiver` process (the Slack endpoint and the decision API), all
 * pointed at a fake Slack Web API.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { stringify } from 'yaml';
import { parseConfig, type TollgateConfig, type TollgateConfigFile } from '../../src/config.js';
import { GovernanceClient } from '../../src/client/GovernanceClient.js';
import { findFreePort } from '../../temporal-config/freePort.js';
import { superviseProcess, type SupervisedProcess } from '../../temporal-config/serverProcess.js';
import { postgresSettingsFromUrl } from '../../temporal-config/server/config.js';
import { startTemporalServer, type TemporalServerHandle } from '../../temporal-config/server/server.js';
import { FakeSlack } from '../support/fakeSlack.js';
import { TEST_APPROVERS } from '../support/governance.js';
import { REHEARSAL_BUDGETS, REHEARSAL_POLICY } from './workload.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(REPO, 'src/cli/main.ts');
const OPERATIONS = fileURLToPath(new URL('./operations.ts', import.meta.url));
const WORKER_READY_MS = 120_000;
export const APPROVAL_CHANNEL = 'C0REHEARSAL';
export const SIGNING_SECRET = 'rehearsal-signing-secret';

export const DATABASES = {
  temporal: 'temporal_rehearsal',
  temporalVisibility: 'temporal_rehearsal_visibility',
  tollgate: 'tollgate_rehearsal',
} as const;

export interface TollgateProcess {
  name: string;
  pid: number;
  /** /healthz, and /slack/events on the receiver. */
  port: number;
  logFile: string;
  process: SupervisedProcess;
  alive(): boolean;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export interface RehearsalCluster {
  dir: string;
  temporal: TemporalServerHandle;
  config: TollgateConfig;
  client: GovernanceClient;
  /** Tollgate's database, for checking budgets and the audit trail. */
  pool: pg.Pool;
  fake: FakeSlack;
  workers: TollgateProcess[];
  receiver: TollgateProcess;
  slackEvents: string;
  effectsDir: string;
  attemptsLog: string;
  close(): Promise<void>;
}

/** TEST_DATABASE_URL names the Postgres server (its database is only used to create ours). */
export function rehearsalPostgresUrl(env = process.env): string {
  return env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

export async function startRehearsalCluster(options: { workers?: number } = {}): Promise<RehearsalCluster> {
  const closers: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const step of closers.reverse()) await step().catch(() => undefined);
    closers.length = 0;
  };
  try {
    const dir = await mkdtemp(join(tmpdir(), 'tollgate-rehearsal-'));
    const effectsDir = join(dir, 'effects');
    const attemptsLog = join(dir, 'attempts.log');
    await mkdir(effectsDir);
    const adminUrl = rehearsalPostgresUrl();
    const tollgateUrl = await freshDatabase(adminUrl, DATABASES.tollgate);

    const temporal = await startTemporalServer({
      postgres: postgresSettingsFromUrl(adminUrl, { database: DATABASES.temporal, visibilityDatabase: DATABASES.temporalVisibility }),
      ports: 'free',
      fresh: true,
      workDir: join(dir, 'temporal-server'),
    });
    closers.push(() => temporal.stop());

    const fake = await FakeSlack.start();
    closers.push(() => fake.close());

    const policyFile = join(dir, 'policy.yaml');
    await writeFile(policyFile, stringify(REHEARSAL_POLICY));
    const configFile = (port: number): TollgateConfigFile => ({
      policy: policyFile,
      temporal: { address: temporal.address, namespace: temporal.namespace, taskQueue: 'tollgate' },
      database: { url: tollgateUrl },
      slack: { approvalChannel: APPROVAL_CHANNEL, apiUrl: fake.apiUrl },
      approvers: TEST_APPROVERS,
      budgets: REHEARSAL_BUDGETS,
      server: { port },
    });
    const config = parseConfig(configFile(0), { env: {}, source: 'rehearsal' });

    const spawnWorker = async (name: string, role: 'worker' | 'receiver') => {
      const port = await findFreePort();
      const file = join(dir, `${name}.yaml`);
      await writeFile(file, stringify(configFile(port)));
      const worker = await startTollgateWorker({ name, file, port, logFile: join(dir, `${name}.log`), effectsDir, attemptsLog, role });
      closers.push(() => worker.process.stop());
      return worker;
    };
    // One at a time: each runs the migrations (serialised by an advisory lock anyway) and bundles
    // the workflow code, which is CPU-heavy on a 2-core machine.
    const workers: TollgateProcess[] = [];
    for (let i = 0; i < (options.workers ?? 2); i++) workers.push(await spawnWorker(`worker-${i + 1}`, 'worker'));
    const receiver = await spawnWorker('slack-receiver', 'receiver');

    const client = await GovernanceClient.connect(config);
    closers.push(() => client.close());
    const pool = new pg.Pool({ connectionString: tollgateUrl, max: 4 });
    closers.push(() => pool.end());

    return {
      dir, temporal, config, client, pool, fake, workers, receiver,
      slackEvents: `http://127.0.0.1:${receiver.port}/slack/events`,
      effectsDir, attemptsLog, close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Drops and creates `name` on the server of `adminUrl`; returns a URL to it. */
async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

interface WorkerSpec {
  name: string;
  file: string;
  port: number;
  logFile: string;
  effectsDir: string;
  attemptsLog: string;
  /** A worker (which posts approval messages to Slack) or the receiver (Slack endpoint, decision API). */
  role: 'worker' | 'receiver';
}

/**
 * `tollgate worker` exactly as an operator runs it, but as `node --import tsx` rather than `npx
 * tsx`: npx would sit between us and the worker, and a SIGKILL must reach the worker itself.
 */
async function startTollgateWorker(spec: WorkerSpec): Promise<TollgateProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, TOLLGATE_LOG_LEVEL: 'warn', TOLLGATE_REHEARSAL_EFFECTS: spec.effectsDir, TOLLGATE_REHEARSAL_ATTEMPTS: spec.attemptsLog };
  // Only what the config file says: nothing from the test's own environment overrides it.
  for (const key of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'TOLLGATE_CONFIG']) delete env[key];
  // Every process talks to Slack: workers post approval messages, the receiver takes the clicks.
  Object.assign(env, { SLACK_BOT_TOKEN: 'xoxb-rehearsal', SLACK_SIGNING_SECRET: SIGNING_SECRET });
  const log = createWriteStream(spec.logFile);
  const command = spec.role === 'receiver' ? ['receiver'] : ['worker', '--no-receiver', '--operations', OPERATIONS];
  const child = superviseProcess(process.execPath, ['--import', 'tsx', CLI, '--config', spec.file, ...command], {
    env,
    cwd: REPO,
    onLine: (line) => log.write(`${line}\n`),
  });
  void child.exited.then(() => log.end());
  const alive = () => child.child.exitCode === null && child.child.signalCode === null;
  const worker: TollgateProcess = {
    name: spec.name,
    pid: child.child.pid!,
    port: spec.port,
    logFile: spec.logFile,
    process: child,
    alive,
    kill: async (signal) => {
      if (!alive()) return;
      child.child.kill(signal);
      await child.exited;
    },
  };
  const until = Date.now() + WORKER_READY_MS;
  for (;;) {
    if (!alive()) throw new Error(`${spec.name} exited before it was ready:\n${child.tail().join('\n')}`);
    const healthy = await fetch(`http://127.0.0.1:${spec.port}/healthz`).then((response) => response.ok, () => false);
    if (healthy) return worker;
    if (Date.now() > until) {
      await child.stop();
      throw new Error(`${spec.name} did not report healthy on :${spec.port} within ${WORKER_READY_MS / 1000}s:\n${child.tail().join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
