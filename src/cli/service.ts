import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { Runtime } from '@temporalio/worker';
import type { TollgateConfig } from '../config.js';
import { TollgateInputError } from '../errors.js';
import { logger } from '../log.js';
import { temporalLogger } from '../temporal/logger.js';
import { startService } from '../service/service.js';
import { startDevServer, type DevServerHandle } from '../../temporal-config/devServer.js';
import { isPortFree } from '../../temporal-config/freePort.js';
import { configOf } from './context.js';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** `tollgate start` runs a dev server only for a local address nobody is serving yet. */
async function localDevServerPort(config: TollgateConfig): Promise<number | null> {
  const match = /^(.*):(\d+)$/.exec(config.temporal.address);
  if (!match || !LOCAL_HOSTS.has(match[1]) || config.temporal.tls || config.secrets.temporalApiKey) return null;
  const port = Number(match[2]);
  return (await isPortFree(port)) ? port : null;
}

/** Handlers come from a module the user names; it calls registerOperation(name, fn) when imported. */
async function loadOperations(modules: string[] = []): Promise<void> {
  for (const module of modules) {
    try {
      await import(pathToFileURL(resolve(module)).href);
    } catch (error) {
      throw new TollgateInputError(`--operations: cannot load ${module}: ${(error as Error).message.split('\n')[0]}`, '--operations');
    }
  }
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const handler = (signal: NodeJS.Signals) => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      resolveSignal(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

async function run(command: Command, options: { operations?: string[]; receiver?: boolean }, whole: boolean, roles: { worker: boolean; receiver: boolean } = { worker: true, receiver: options.receiver ?? true }): Promise<void> {
  const config = configOf(command);
  // The SDK's own lines go through the one logger; temporalLogger() keeps its warnings and errors only.
  Runtime.install({ logger: temporalLogger() });
  await loadOperations(options.operations);
  const log = logger.child({ component: whole ? 'start' : 'worker' });
  let devServer: DevServerHandle | undefined;
  try {
    const devPort = whole ? await localDevServerPort(config) : null;
    if (devPort !== null) {
      devServer = await startDevServer({
        port: devPort,
        uiPort: config.temporal.devServer.uiPort,
        dbFile: resolve(config.baseDir, config.temporal.devServer.dbFile),
        namespace: config.temporal.namespace,
      });
      log.info({ address: devServer.address, ui: devServer.uiUrl }, 'Temporal dev server running');
    } else if (whole) {
      log.info({ address: config.temporal.address }, 'using the Temporal server at temporal.address');
    }
    const service = await startService({ config, serveEmbeddedDatabase: whole, roles });
    log.info({ healthz: `http://127.0.0.1:${service.port}/healthz`, policy: config.policy, taskQueue: config.temporal.taskQueue }, 'Tollgate is running; Ctrl-C stops it');
    const signal = await untilSignal();
    log.info({ signal }, 'stopping');
    await service.stop();
  } finally {
    await devServer?.stop();
  }
}

export function registerServiceCommands(program: Command): void {
  program.command('start')
    .description('the whole local stack: Temporal dev server (unless temporal.address is served elsewhere), embedded database (unless a database url is set), worker, Slack receiver and /healthz')
    .option('--operations <module...>', 'module(s) that register operation handlers with registerOperation()')
    .action((options, command: Command) => run(command, options, true));
  program.command('worker')
    .description('a worker plus the receiver (Slack endpoint, decision API) against the configured Temporal server and database')
    .option('--operations <module...>', 'module(s) that register operation handlers with registerOperation()')
    .option('--no-receiver', 'run the worker only: the Slack endpoint and the decision API run in `tollgate receiver` processes')
    .action((options, command: Command) => run(command, options, false));
  program.command('receiver')
    .description('the receiver alone: the Slack endpoint, the decision API and /healthz, for a load balancer in front of several')
    .action((options, command: Command) => run(command, options, false, { worker: false, receiver: true }));
}
