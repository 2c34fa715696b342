import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InfrastructureUnavailableError } from '../src/errors.js';
import { devServerSearchAttributeFlags } from '../src/temporal/searchAttributes.js';
import { ensureSearchAttributes } from './ensureSearchAttributes.js';
import { findFreePort, isPortFree } from './freePort.js';
import { hostForUrl, superviseProcess, waitUntilServing, type ProcessExit } from './serverProcess.js';
import { ensureTemporalCli } from './install.mjs';

export const DEFAULT_DB_FILE = '.tollgate/temporal.db';
export const DEFAULT_PORT = 7233;
export const DEFAULT_UI_PORT = 8233;

const DYNAMIC_CONFIG_FILE = join(dirname(fileURLToPath(import.meta.url)), 'dynamicconfig.yaml');
const FREE_PORT_ATTEMPTS = 3;
const OUTPUT_TAIL_LINES = 40;

export type DevServerLogLevel = 'debug' | 'info' | 'warn' | 'error' | 'never';

export interface DevServerOptions {
  /** A `temporal` binary; defaults to `ensureTemporalCli()` (TEMPORAL_CLI_PATH or the pinned build). */
  temporalCliPath?: string;
  /** SQLite file holding all server state; relative paths resolve against the working directory. */
  dbFile?: string;
  /** 'free' picks every port not given explicitly (gRPC, UI, HTTP, metrics) among free localhost ports. */
  ports?: 'free';
  /** gRPC frontend port; default 7233 (or a free one with `ports: 'free'`). */
  port?: number;
  /** Web UI port; default 8233 (or a free one with `ports: 'free'`). Ignored when headless. */
  uiPort?: number;
  httpPort?: number;
  metricsPort?: number;
  /** No Web UI. */
  headless?: boolean;
  ip?: string;
  /** Namespace to serve and check; `default` always exists. */
  namespace?: string;
  logLevel?: DevServerLogLevel;
  /** How long the server may take to answer before start fails; default 60 s. */
  startTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL; default 10 s. */
  stopGraceMs?: number;
  /**
   * Dynamic config values on top of `dynamicconfig.yaml` (a key given here wins): what a benchmark
   * uses to compare settings on otherwise identical servers.
   */
  dynamicConfig?: Record<string, unknown>;
  /** Every line the server prints; it is kept quiet (log level warn) so this is mostly warnings. */
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export type DevServerExit = ProcessExit;

export interface DevServerHandle {
  /** host:port of the gRPC frontend, for `Connection.connect` / `NativeConnection.connect`. */
  address: string;
  port: number;
  /** Undefined when headless. */
  uiUrl: string | undefined;
  uiPort: number | undefined;
  httpPort: number;
  metricsPort: number;
  namespace: string;
  /** Absolute path of the SQLite state file. */
  dbFile: string;
  process: ChildProcess;
  /** Settles when the server process exits, whoever stopped it. */
  exited: Promise<DevServerExit>;
  /** The last lines the server printed, for error messages. */
  recentOutput(): string[];
  /** SIGTERM, then SIGKILL after the grace period; resolves once the process is gone. Idempotent. */
  stop(): Promise<void>;
}

export interface DevServerSettings {
  ip: string;
  port: number;
  uiPort: number | undefined;
  httpPort: number;
  metricsPort: number;
  namespace: string;
  dbFile: string;
  logLevel: DevServerLogLevel;
  dynamicConfig: Record<string, unknown>;
}

/**
 * Starts `temporal server start-dev` and resolves once it answers for the namespace and every
 * Tollgate search attribute is registered and queryable.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServerHandle> {
  const cliPath = options.temporalCliPath ?? (await ensureTemporalCli());
  const dbFile = resolve(options.dbFile ?? DEFAULT_DB_FILE);
  await mkdir(dirname(dbFile), { recursive: true });
  const dynamicConfig = { ...loadDynamicConfig(), ...options.dynamicConfig };

  for (let attempt = 1; ; attempt++) {
    const { settings, picked } = await choosePorts(options, dbFile, dynamicConfig);
    try {
      return await launch(cliPath, settings, options);
    } catch (error) {
      // A port we picked as free was taken by someone else before the server bound it.
      const retry = error instanceof PortClashError && picked.has(error.port ?? -1) && attempt < FREE_PORT_ATTEMPTS;
      if (!retry) throw error instanceof PortClashError ? error.cause : error;
    }
  }
}

/** The `temporal` arguments for a dev server with these settings. */
export function devServerArgs(settings: DevServerSettings): string[] {
  const args = [
    'server', 'start-dev',
    '--db-filename', settings.dbFile,
    '--ip', settings.ip,
    '--port', String(settings.port),
    '--http-port', String(settings.httpPort),
    '--metrics-port', String(settings.metricsPort),
    '--log-level', settings.logLevel,
    // WAL with synchronous=NORMAL survives a crash of the server process (what a dev server
    // must survive) without an fsync per write, which cost ~50 ms per round trip on a VM disk.
    // Only an OS crash could lose the last transactions; production runs a real cluster.
    '--sqlite-pragma', 'journal_mode=wal',
    '--sqlite-pragma', 'synchronous=normal',
  ];
  args.push(...(settings.uiPort === undefined ? ['--headless'] : ['--ui-port', String(settings.uiPort)]));
  // `default` is always created; naming it again would only register it twice.
  if (settings.namespace !== 'default') args.push('--namespace', settings.namespace);
  for (const [key, value] of Object.entries(settings.dynamicConfig)) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  args.push(...devServerSearchAttributeFlags());
  return args;
}

const DynamicConfigFile = z.record(z.string().regex(/^[A-Za-z][\w.]*$/, 'a dynamic config key'), z.unknown());

/** `dynamicconfig.yaml`: flat `key: value` pairs; the CLI takes them one `--dynamic-config-value` at a time. */
export function loadDynamicConfig(file = DYNAMIC_CONFIG_FILE): Record<string, unknown> {
  const parsed = DynamicConfigFile.safeParse(parseYaml(readFileSync(file, 'utf8')) ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return parsed.data;
}

async function choosePorts(options: DevServerOptions, dbFile: string, dynamicConfig: Record<string, unknown>) {
  const ip = options.ip ?? '127.0.0.1';
  const free = options.ports === 'free';
  const picked = new Set<number>();
  const pick = async (given: number | undefined, fallback: number | undefined): Promise<number> => {
    if (given !== undefined) return given;
    if (!free && fallback !== undefined) return fallback;
    let port = await findFreePort(ip);
    while (picked.has(port)) port = await findFreePort(ip);
    picked.add(port);
    return port;
  };
  const settings: DevServerSettings = {
    ip,
    port: await pick(options.port, DEFAULT_PORT),
    uiPort: options.headless ? undefined : await pick(options.uiPort, DEFAULT_UI_PORT),
    // The CLI would pick these at random anyway; choosing them lets the handle report them.
    httpPort: await pick(options.httpPort, undefined),
    metricsPort: await pick(options.metricsPort, undefined),
    namespace: options.namespace ?? 'default',
    dbFile,
    logLevel: options.logLevel ?? 'warn',
    dynamicConfig,
  };
  return { settings, picked };
}

class PortClashError extends Error {
  constructor(readonly port: number | undefined, override readonly cause: Error) {
    super(cause.message);
  }
}

async function launch(cliPath: string, settings: DevServerSettings, options: DevServerOptions): Promise<DevServerHandle> {
  const address = `${hostForUrl(settings.ip)}:${settings.port}`;
  await assertPortsFree(settings);

  let announce: () => void = () => undefined;
  // start-dev prints "Server:  host:port" once its frontend listens. Waiting for our own child to
  // say so keeps us from mistaking another server on that port for this one.
  const announced = new Promise<void>((done) => { announce = done; });
  const server = superviseProcess(cliPath, devServerArgs(settings), {
    stopGraceMs: options.stopGraceMs,
    tailLines: OUTPUT_TAIL_LINES,
    onLine: (line, stream) => {
      if (stream === 'stdout' && /^Server:\s/.test(line)) announce();
      options.onOutput?.(line, stream);
    },
  });
  const { child, exited, stop } = server;

  const failure = (what: string) => {
    const tail = server.tail();
    const output = tail.length ? `\nLast server output:\n${tail.join('\n')}` : '\n(the server printed nothing)';
    return new InfrastructureUnavailableError(
      `Temporal dev server (${cliPath}, pid ${child.pid ?? '?'}, ${address}, db ${settings.dbFile}) ${what}${output}`,
    );
  };

  try {
    const connection = await waitUntilServing({
      address, announced, exited, failure, timeoutMs: options.startTimeoutMs ?? 60_000,
      probe: (connection) => connection.workflowService.describeNamespace({ namespace: settings.namespace }),
    });
    try {
      await ensureSearchAttributes(connection, settings.namespace);
    } finally {
      await connection.close();
    }
  } catch (error) {
    await stop();
    const clash = /can't (?:set|use) .*?port (\d+)|address already in use/i.exec(server.tail().join('\n'));
    if (clash && error instanceof Error) throw new PortClashError(clash[1] ? Number(clash[1]) : undefined, error);
    throw error;
  }

  return {
    address,
    port: settings.port,
    uiUrl: settings.uiPort === undefined ? undefined : `http://${hostForUrl(settings.ip)}:${settings.uiPort}`,
    uiPort: settings.uiPort,
    httpPort: settings.httpPort,
    metricsPort: settings.metricsPort,
    namespace: settings.namespace,
    dbFile: settings.dbFile,
    process: child,
    exited,
    recentOutput: server.tail,
    stop,
  };
}

/** Fails early, naming the port, when something already listens where the server should. */
async function assertPortsFree(settings: DevServerSettings): Promise<void> {
  const wanted: Array<[string, number | undefined]> = [
    ['gRPC', settings.port], ['UI', settings.uiPort], ['HTTP', settings.httpPort], ['metrics', settings.metricsPort],
  ];
  for (const [what, port] of wanted) {
    if (port === undefined || (await isPortFree(port, settings.ip))) continue;
    throw new PortClashError(port, new InfrastructureUnavailableError(
      `cannot start the Temporal dev server: ${what} port ${port} on ${settings.ip} is already in use ` +
      '(another Temporal dev server?); stop it or choose another port',
    ));
  }
}
