// Runs a real Temporal server on Postgres in the foreground, for humans and for trying the
// scale-out layout of docs/scale-out.md on one machine:
//   npx tsx temporal-config/server/start.ts --postgres postgres://postgres@127.0.0.1:5432
// Ctrl-C stops it. The databases (and what the server stored in them) stay.
import { Command, InvalidArgumentError } from 'commander';
import { postgresSettingsFromUrl } from './config.js';
import { startTemporalServer } from './server.js';
import { runInForeground } from '../serverProcess.js';

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('expected a positive integer');
  return number;
}

const options = new Command('temporal-config/server/start.ts')
  .description('Start a Temporal server (not the dev server) on Postgres, with Tollgate\'s namespace and search attributes')
  .requiredOption('--postgres <url>', 'Postgres to keep the server\'s state in: postgres://user[:password]@host[:port]')
  .option('--database <name>', 'database for executions and history', 'temporal')
  .option('--visibility-database <name>', 'database for workflow listing and search attributes', 'temporal_visibility')
  .option('--namespace <name>', 'namespace to register', 'default')
  .option('--shards <n>', 'history shards; fixed once the database holds data', positiveInteger, 4)
  .option('--free-ports', 'pick free ports instead of the server\'s sample ports (frontend 7233)')
  .option('--work-dir <dir>', 'where the generated config files go (default: a temp dir)')
  .option('--fresh', 'drop and recreate both databases first (deletes every workflow in them)')
  .parse()
  .opts<{ postgres: string; database: string; visibilityDatabase: string; namespace: string; shards: number; freePorts?: boolean; workDir?: string; fresh?: boolean }>();

await runInForeground('Temporal server', (onOutput) => startTemporalServer({
  postgres: postgresSettingsFromUrl(options.postgres, { database: options.database, visibilityDatabase: options.visibilityDatabase }),
  namespace: options.namespace,
  numHistoryShards: options.shards,
  ports: options.freePorts ? 'free' : undefined,
  workDir: options.workDir,
  fresh: options.fresh,
  onOutput,
}), (server) => [
  `Temporal server ${server.version}  ${server.address} (namespace ${server.namespace})`,
  `Metrics                 ${server.metricsUrl}`,
  `Config                  ${server.workDir}/config/tollgate.yaml, ${server.workDir}/dynamicconfig.yaml`,
  `State                   Postgres ${options.database}, ${options.visibilityDatabase}`,
]);
