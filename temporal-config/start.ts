// Runs the Temporal dev server in the foreground for humans:
//   npx tsx temporal-config/start.ts [--port N] [--ui-port N] [--db-filename F] [--headless] [--free-ports]
// Ctrl-C stops it.
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_DB_FILE, DEFAULT_PORT, DEFAULT_UI_PORT, startDevServer } from './devServer.js';
import { runInForeground } from './serverProcess.js';

function portNumber(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('expected a port number 1-65535');
  return port;
}

const options = new Command('temporal-config/start.ts')
  .description('Start the Temporal dev server with Tollgate\'s search attributes and dynamic config')
  .option('--port <port>', 'gRPC frontend port', portNumber, DEFAULT_PORT)
  .option('--ui-port <port>', 'Web UI port', portNumber, DEFAULT_UI_PORT)
  .option('--db-filename <file>', 'SQLite state file (kept across restarts)', DEFAULT_DB_FILE)
  .option('--headless', 'no Web UI')
  .option('--free-ports', 'pick free ports instead of the defaults (explicit --port/--ui-port still win)')
  .parse()
  .opts<{ port: number; uiPort: number; dbFilename: string; headless?: boolean; freePorts?: boolean }>();

const explicit = (name: string) => (options.freePorts ? process.argv.some((arg) => arg === name || arg.startsWith(`${name}=`)) : true);

await runInForeground('Temporal dev server', (onOutput) => startDevServer({
  dbFile: options.dbFilename,
  port: explicit('--port') ? options.port : undefined,
  uiPort: explicit('--ui-port') ? options.uiPort : undefined,
  ports: options.freePorts ? 'free' : undefined,
  headless: options.headless,
  onOutput,
}), (server) => [
  `Temporal dev server  ${server.address} (namespace ${server.namespace})`,
  `Web UI               ${server.uiUrl ?? '(headless)'}`,
  `Metrics              http://${server.address.replace(/:\d+$/, '')}:${server.metricsPort}/metrics`,
  `State                ${server.dbFile}`,
]);
