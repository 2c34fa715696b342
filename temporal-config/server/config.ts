/**
 * The configuration of a real Temporal server (go.temporal.io/server/cmd/server) on Postgres:
 * its static config file and its dynamic config file, as pure functions of the settings.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify } from 'yaml';
import { z } from 'zod';
import { hostForUrl } from '../serverProcess.js';

/** Every service's gRPC and membership (ringpop) port, the frontend's HTTP port, and metrics. */
export interface ServerPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
  metrics: number;
}

/** The ports of the server's own sample config (config/development-postgres12.yaml). */
export const DEFAULT_SERVER_PORTS: ServerPorts = {
  frontend: 7233, frontendHttp: 7243, frontendMembership: 6933,
  history: 7234, historyMembership: 6934,
  matching: 7235, matchingMembership: 6935,
  worker: 7239, workerMembership: 6939,
  metrics: 8000,
};

export interface PostgresSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Executions, history, task queues, namespaces. */
  database: string;
  /** Workflow listing and search attributes (SQL visibility). */
  visibilityDatabase: string;
  /** Connections per service per host to the main database; default 20, as the sample config. */
  maxConns?: number;
}

/**
 * Server, user and password from a Postgres URL (`postgres://user:password@host:5432`); the URL's
 * own database, if any, is ignored: the server needs two of its own.
 */
export function postgresSettingsFromUrl(url: string, databases: { database: string; visibilityDatabase: string }): PostgresSettings {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`postgres url: "${url}" is not a URL; expected postgres://user[:password]@host[:port]`);
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) throw new Error(`postgres url: expected postgres://…, got ${parsed.protocol}//…`);
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username) || 'postgres',
    password: decodeURIComponent(parsed.password),
    ...databases,
  };
}

export interface ServerConfigSettings {
  ip: string;
  ports: ServerPorts;
  postgres: PostgresSettings;
  /**
   * Fixed for the life of the cluster: it cannot be changed once the database holds data.
   * Production clusters use 512 or more; 4 is the server's sample value for one host.
   */
  numHistoryShards: number;
  /** Absolute path of the dynamic config file (server format, see `serverDynamicConfig`). */
  dynamicConfigFile: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  clusterName?: string;
}

/** The server's config file (what `temporal-server --config DIR --env NAME start` reads from DIR/NAME.yaml). */
export function serverConfig(settings: ServerConfigSettings): Record<string, unknown> {
  const { ip, ports, postgres } = settings;
  const cluster = settings.clusterName ?? 'active';
  const datastore = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${hostForUrl(postgres.host)}:${postgres.port}`,
      connectProtocol: 'tcp',
      user: postgres.user,
      password: postgres.password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const service = (grpcPort: number, membershipPort: number, httpPort?: number) => ({
    rpc: { grpcPort, membershipPort, bindOnIP: ip, ...(httpPort ? { httpPort } : {}) },
  });
  const frontend = `${hostForUrl(ip)}:${ports.frontend}`;
  return {
    log: { stdout: true, level: settings.logLevel },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: settings.numHistoryShards,
      datastores: {
        'postgres-default': datastore(postgres.database, postgres.maxConns ?? 20),
        // Visibility writes are batched by the history service's visibility queue; the sample uses 2.
        'postgres-visibility': datastore(postgres.visibilityDatabase, 2),
      },
    },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: ip },
      metrics: { prometheus: { framework: 'tally', timerType: 'histogram', listenAddress: `${hostForUrl(ip)}:${ports.metrics}` } },
    },
    services: {
      frontend: service(ports.frontend, ports.frontendMembership, ports.frontendHttp),
      history: service(ports.history, ports.historyMembership),
      matching: service(ports.matching, ports.matchingMembership),
      worker: service(ports.worker, ports.workerMembership),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: cluster,
      currentClusterName: cluster,
      clusterInformation: {
        [cluster]: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: frontend, httpAddress: `${hostForUrl(ip)}:${ports.frontendHttp}` },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    // The server's internal worker (schedules, batch operations) reaches the frontend here.
    publicClient: { hostPort: frontend },
    dynamicConfigClient: { filepath: settings.dynamicConfigFile, pollInterval: '10s' },
  };
}

export function serverConfigYaml(settings: ServerConfigSettings): string {
  return `# Written by temporal-config/server; see docs/scale-out.md.\n${stringify(serverConfig(settings))}`;
}

/** One constrained value as the server's file-based dynamic config client reads it. */
const ConstrainedValues = z.array(z.object({ value: z.unknown(), constraints: z.record(z.string(), z.unknown()).optional() }).strict()).min(1);
const ServerDynamicConfigFile = z.record(z.string().regex(/^[A-Za-z][\w.]*$/, 'a dynamic config key'), ConstrainedValues);
export type ServerDynamicConfig = z.infer<typeof ServerDynamicConfigFile>;

export const SERVER_DYNAMIC_CONFIG_FILE = join(dirname(fileURLToPath(import.meta.url)), 'dynamicconfig.yaml');

/** `temporal-config/server/dynamicconfig.yaml`: the server's own format, `key: [{ value, constraints? }]`. */
export function loadServerDynamicConfig(file = SERVER_DYNAMIC_CONFIG_FILE): ServerDynamicConfig {
  const parsed = ServerDynamicConfigFile.safeParse(parseYaml(readFileSync(file, 'utf8')) ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${file}: ${issue?.path.join('.') || '(root)'}: ${issue?.message} (expected key: [{ value: ..., constraints: {...} }])`);
  }
  return parsed.data;
}

/** Unconstrained values on top of the file's (a key given here replaces the file's entry). */
export function withDynamicOverrides(base: ServerDynamicConfig, overrides: Record<string, unknown> = {}): ServerDynamicConfig {
  const merged: ServerDynamicConfig = { ...base };
  for (const [key, value] of Object.entries(overrides)) merged[key] = [{ value }];
  return merged;
}
