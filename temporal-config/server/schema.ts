/**
 * Creates the Temporal server's two Postgres databases and brings their schema to the version
 * the binaries expect, with the server's own `temporal-sql-tool` and the schema files shipped in
 * its module. Every step is idempotent: `create-database` ignores a database that exists,
 * `setup-schema -v 0.0` leaves a versioned schema alone, `update-schema` applies what is missing.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { InfrastructureUnavailableError } from '../../src/errors.js';
import type { PostgresSettings } from './config.js';

export interface SchemaSetupOptions {
  sqlTool: string;
  /** The server module's `schema/` folder (from `ensureTemporalServer`). */
  schemaDir: string;
  postgres: PostgresSettings;
  /** Drop both databases first: a rehearsal starts from nothing. */
  fresh?: boolean;
}

/** The sql tool commands, in order, for both databases; exported so docs and tests show the exact calls. */
export function schemaSetupCommands(options: Omit<SchemaSetupOptions, 'sqlTool'>): string[][] {
  const { postgres, schemaDir } = options;
  const connection = ['--plugin', 'postgres12', '--ep', postgres.host, '--port', String(postgres.port), '--user', postgres.user];
  const steps: string[][] = [];
  for (const [database, folder] of [[postgres.database, 'temporal'], [postgres.visibilityDatabase, 'visibility']] as const) {
    const on = [...connection, '--db', database];
    if (options.fresh) steps.push([...on, 'drop-database', '--force']);
    steps.push(
      [...on, 'create-database'],
      [...on, 'setup-schema', '--version', '0.0'],
      [...on, 'update-schema', '--schema-dir', join(schemaDir, 'postgresql', 'v12', folder, 'versioned')],
    );
  }
  return steps;
}

export async function setupPostgresSchema(options: SchemaSetupOptions): Promise<void> {
  // The password goes through the environment (SQL_PASSWORD), not the command line other users can read.
  const env = { ...process.env, SQL_PASSWORD: options.postgres.password };
  for (const args of schemaSetupCommands(options)) {
    const { code, output } = await runTool(options.sqlTool, args, env);
    if (code !== 0) {
      const where = `${options.postgres.host}:${options.postgres.port} as ${options.postgres.user}`;
      throw new InfrastructureUnavailableError(
        `temporal-sql-tool ${args.slice(args.indexOf('--db')).join(' ')} failed (exit ${code}) on Postgres ${where}; ` +
        `check that Postgres runs there and that the user may create databases:\n${output.slice(-2000)}`,
      );
    }
  }
}

function runTool(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { output += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { output += chunk; });
    child.once('error', (error) => resolve({ code: -1, output: `${output}\n${error.message}` }));
    child.once('close', (code) => resolve({ code: code ?? -1, output }));
  });
}
