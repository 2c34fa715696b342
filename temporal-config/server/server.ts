/**
 * A real Temporal server on Postgres: the shape production runs (one process with all four
 * services here; in production each service runs as its own deployment), in place of the dev
 * server's SQLite file. Used by the production-shaped rehearsal and by `temporal-config/server/start.ts`.
 */
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import type { Connection } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time.js';
import { InfrastructureUnavailableError } from '../../src/errors.js';
import { ensureSearchAttributes } from '../ensureSearchAttributes.js';
import { findFreePort, isPortFree } from '../freePort.js';
import { ensureTemporalServer, type TemporalServerInstall } from '../install.mjs';
import { hostForUrl, superviseProcess, waitUntilServing, type ProcessExit } from '../serverProcess.js';
import {
  DEFAULT_SERVER_PORTS, loadServerDynamicConfig, serverConfigYaml, withDynamicOverrides,
  type PostgresSettings, type ServerPorts,
} from './config.js';
import { setupPostgresSchema } from './schema.js';

/** The environment name: the server reads `<workDir>/config/<name>.yaml`. */
const CONFIG_ENV = 'tollgate';
/** The namespace cache refreshes every 2 s; search attributes added right after registration take that long to be usable. */
const SEARCH_ATTRIBUTE_READY_MS = 30_000;
const MEMBERSHIP_PORT_MIN = 20_000;
const MEMBERSHIP_PORT_MAX = 32_767;

export interface TemporalServerOptions {
  postgres: PostgresSettings;
  /** Binaries and schema; default `ensureTemporalServer()` (built once into .tollgate/tools). */
  install?: TemporalServerInstall;
  ip?: string;
  /** 'free' picks every port not given among free localhost ports; default: the server's sample ports. */
  ports?: 'free' | Partial<ServerPorts>;
  /** Fixed for the life of the cluster (see ServerConfigSettings); default 4. */
  numHistoryShards?: number;
  /** Registered when missing; default `default`. */
  namespace?: string;
  /** How long closed workflows stay in the namespace; default 72h. */
  retention?: Duration;
  /** Where `config/` and `dynamicconfig.yaml` are written; default a new temp dir. */
  workDir?: string;
  /** Drop and recreate both databases first. */
  fresh?: boolean;
  /** Unconstrained dynamic config values on top of temporal-config/server/dynamicconfig.yaml. */
  dynamicConfig?: Record<string, unknown>;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Default 90 s: a first start creates the shards' rows in Postgres. */
  startTimeoutMs?: number;
  stopGraceMs?: number;
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface TemporalServerHandle {
  /** host:port of the frontend, for `Connection.connect` / `NativeConnection.connect`. */
  address: string;
  namespace: string;
  ports: ServerPorts;
  metricsUrl: string;
  /** The folder holding `config/tollgate.yaml` and `dynamicconfig.yaml`. */
  workDir: string;
  version: string;
  process: ChildProcess;
  exited: Promise<ProcessExit>;
  recentOutput(): string[];
  /** SIGTERM, then SIGKILL after the grace period. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Sets up the schema, starts `temporal-server`, registers the namespace and Tollgate's search
 * attributes, and resolves once a visibility query on them answers.
 */
export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServerHandle> {
  const ip = options.ip ?? '127.0.0.1';
  const namespace = options.namespace ?? 'default';
  const ports = await choosePorts(options.ports, ip);
  for (const [name, port] of Object.entries(ports)) {
    if (!(await isPortFree(port, ip))) {
      throw new InfrastructureUnavailableError(`cannot start the Temporal server: ${name} port ${port} on ${ip} is already in use; stop what listens there or pass ports: 'free'`);
    }
  }
  const install = options.install ?? (await ensureTemporalServer());
  await setupPostgresSchema({ sqlTool: install.sqlTool, schemaDir: install.schemaDir, postgres: options.postgres, fresh: options.fresh });

  const workDir = resolve(options.workDir ?? (await mkdtemp(join(tmpdir(), 'tollgate-temporal-server-'))));
  await mkdir(join(workDir, 'config'), { recursive: true });
  const dynamicConfigFile = join(workDir, 'dynamicconfig.yaml');
  await writeFile(dynamicConfigFile, stringify(withDynamicOverrides(loadServerDynamicConfig(), options.dynamicConfig)));
  // It holds the Postgres password: readable by us only, wherever workDir is (and if it existed).
  const configFile = join(workDir, 'config', `${CONFIG_ENV}.yaml`);
  await writeFile(configFile, serverConfigYaml({
    ip, ports, postgres: options.postgres, numHistoryShards: options.numHistoryShards ?? 4,
    dynamicConfigFile, logLevel: options.logLevel ?? 'warn',
  }), { mode: 0o600 });
  await chmod(configFile, 0o600);

  const address = `${hostForUrl(ip)}:${ports.frontend}`;
  // No authorizer: the rehearsal's server listens on localhost only. Production sets
  // global.authorization (JWT claim mapper) and mTLS; see docs/scale-out.md.
  const server = superviseProcess(install.server, ['--root', workDir, '--config', 'config', '--env', CONFIG_ENV, '--allow-no-auth', 'start'], {
    stopGraceMs: options.stopGraceMs,
    onLine: options.onOutput,
  });
  const failure = (what: string) => {
    const tail = server.tail();
    return new InfrastructureUnavailableError(
      `Temporal server ${install.version} (${install.server}, pid ${server.child.pid ?? '?'}, ${address}, ` +
      `Postgres ${options.postgres.host}:${options.postgres.port}/${options.postgres.database}) ${what}` +
      (tail.length ? `\nLast server output:\n${tail.join('\n')}` : '\n(the server printed nothing)'),
    );
  };

  try {
    const retention = msToTs(options.retention ?? '72h');
    const connection = await waitUntilServing({
      address, exited: server.exited, failure, timeoutMs: options.startTimeoutMs ?? 90_000,
      probe: async (connection) => {
        await registerNamespace(connection, namespace, retention);
        await connection.workflowService.describeNamespace({ namespace });
      },
    });
    try {
      await untilSearchAttributesUsable(connection, namespace);
    } finally {
      await connection.close();
    }
  } catch (error) {
    await server.stop();
    throw error;
  }

  return {
    address,
    namespace,
    ports,
    metricsUrl: `http://${hostForUrl(ip)}:${ports.metrics}/metrics`,
    workDir,
    version: install.version,
    process: server.child,
    exited: server.exited,
    recentOutput: server.tail,
    stop: server.stop,
  };
}

async function choosePorts(wanted: TemporalServerOptions['ports'], ip: string): Promise<ServerPorts> {
  if (wanted !== 'free') {
    const ports = { ...DEFAULT_SERVER_PORTS, ...wanted };
    for (const [name, port] of Object.entries(ports)) {
      if (name.endsWith('Membership') && port > MEMBERSHIP_PORT_MAX) {
        throw new InfrastructureUnavailableError(`ports.${name}: ${port} is above ${MEMBERSHIP_PORT_MAX}; the SQL stores keep membership ports in a smallint column, choose a lower port`);
      }
    }
    return ports;
  }
  const ports = {} as ServerPorts;
  const taken = new Set<number>();
  for (const name of Object.keys(DEFAULT_SERVER_PORTS) as Array<keyof ServerPorts>) {
    let port: number;
    do {
      port = name.endsWith('Membership') ? await freeMembershipPort(ip) : await findFreePort(ip);
    } while (taken.has(port));
    taken.add(port);
    ports[name] = port;
  }
  return ports;
}

/**
 * The SQL stores keep membership ports in a smallint column (cluster_membership.rpc_port), so a
 * port from the OS's ephemeral range (32768 and up on Linux) makes the server exit at start.
 */
async function freeMembershipPort(ip: string): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = MEMBERSHIP_PORT_MIN + Math.floor(Math.random() * (MEMBERSHIP_PORT_MAX - MEMBERSHIP_PORT_MIN));
    if (await isPortFree(port, ip)) return port;
  }
  throw new InfrastructureUnavailableError(`no free port between ${MEMBERSHIP_PORT_MIN} and ${MEMBERSHIP_PORT_MAX} on ${ip} for the server's membership`);
}

/** A real server starts with no namespaces (the dev server creates `default` itself). */
async function registerNamespace(connection: Connection, namespace: string, retention: ReturnType<typeof msToTs>): Promise<void> {
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: retention });
  } catch (error) {
    // ALREADY_EXISTS: a database kept from an earlier run.
    if ((error as { code?: number }).code !== 6) throw error;
  }
}

/**
 * `ensureSearchAttributes` adds what is missing and runs a query on them; on a namespace this new,
 * the frontend's namespace cache may not know them yet, so it is retried for a short while.
 */
async function untilSearchAttributesUsable(connection: Connection, namespace: string): Promise<void> {
  const until = Date.now() + SEARCH_ATTRIBUTE_READY_MS;
  for (;;) {
    try {
      await ensureSearchAttributes(connection, namespace);
      return;
    } catch (error) {
      if (error instanceof InfrastructureUnavailableError || Date.now() > until) throw error;
      await new Promise((done) => setTimeout(done, 500));
    }
  }
}
