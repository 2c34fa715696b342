/**
 * `npm run bench:budget`: the budget ledger's reservations per second and latency, on embedded
 * PGlite (through its socket server, as the service runs it) and on Postgres when
 * TEST_DATABASE_URL or DATABASE_URL is set, with 1 and 16 concurrent clients.
 *
 * Two operations are timed, each end to end from the caller through `pg`:
 *   - reserve:         `ledger.reserve()` alone (one transaction);
 *   - reserve+commit:  `reserve()` then `commit()` (two transactions), what an allowed operation costs.
 * Every reservation charges one of 16 users, one of 4 teams and the org, all with limits (so the
 * limit check runs and never refuses): every transaction locks the org's row, which is the
 * contention a real deployment has. Postgres runs in a fresh schema, dropped afterwards.
 *
 * Options: --seconds 2.5 (timed per cell, after a short warm-up)   --out bench/results/budget.json
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { BudgetLedger } from '../src/budget/ledger.js';
import type { BudgetEntities } from '../src/budget/types.js';
import { parseConfig } from '../src/config.js';
import { logger } from '../src/log.js';
import { connectDatabase, redactUrl } from '../src/store/connect.js';
import { startEmbeddedDatabase } from '../src/store/embedded.js';
import { runMigrations } from '../src/store/migrate.js';
import { freshPgliteDataDir } from '../test/support/pgliteTemplate.js';

// Migration and start-up lines would interleave with the table.
logger.level = process.env.TOLLGATE_LOG_LEVEL ?? 'warn';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2.5' },
    out: { type: 'string', default: 'bench/results/budget.json' },
  },
});
const SECONDS = Number(args.seconds);
const WARMUP_MS = 500;
const DATABASE_WARMUP_MS = 1500;
const CONCURRENCY = [1, 16] as const;
const OPERATIONS = ['reserve', 'reserve+commit'] as const;
type Operation = (typeof OPERATIONS)[number];

interface Cell {
  database: 'pglite' | 'postgres';
  clients: number;
  operation: Operation;
  opsPerSec: number;
  p50ms: number;
  p99ms: number;
  samples: number;
}

interface Database {
  kind: Cell['database'];
  pool: pg.Pool;
  close(): Promise<void>;
}

async function openPglite(): Promise<Database> {
  const dataDir = await freshPgliteDataDir();
  const embedded = await startEmbeddedDatabase({ dataDir, port: 0 });
  const pool = connectDatabase(embedded.url, { max: 16 });
  return {
    kind: 'pglite',
    pool,
    async close() {
      await pool.end();
      await embedded.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function openPostgres(url: string): Promise<Database> {
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const admin = connectDatabase(url, { max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const pool = connectDatabase(url, { max: 16, options: `-c search_path=${schema}` });
  return {
    kind: 'postgres',
    pool,
    async close() {
      await pool.end();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

const users = Array.from({ length: 16 }, (_, i) => `bench-user-${i}`);
const teams = Array.from({ length: 4 }, (_, i) => `bench-team-${i}`);
const budgets = parseConfig({
  budgets: {
    org: 1e9,
    users: Object.fromEntries(users.map((user) => [user, 1e9])),
    teams: Object.fromEntries(teams.map((team) => [team, 1e9])),
  },
}, { env: {} }).budgets;

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function measure(database: Database, clients: number, operation: Operation, warmupMs = WARMUP_MS): Promise<Cell> {
  const ledger = new BudgetLedger(database.pool, budgets);
  const run = randomBytes(4).toString('hex');
  let sequence = 0;
  const cycle = async (worker: number) => {
    const key = `bench-${run}-${sequence++}`;
    const entities: BudgetEntities = { user: users[worker % users.length], team: teams[worker % teams.length], org: 'org' };
    await ledger.reserve(key, entities, 0.01);
    if (operation === 'reserve+commit') await ledger.commit(key, 0.01);
  };
  const latencies: number[] = [];
  const phase = async (ms: number, record: boolean) => {
    const until = performance.now() + ms;
    await Promise.all(Array.from({ length: clients }, async (_, worker) => {
      while (performance.now() < until) {
        const t0 = performance.now();
        await cycle(worker);
        if (record) latencies.push(performance.now() - t0);
      }
    }));
  };
  await phase(warmupMs, false);
  const started = performance.now();
  await phase(SECONDS * 1000, true);
  const elapsed = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return {
    database: database.kind,
    clients,
    operation,
    opsPerSec: Math.round(latencies.length / elapsed),
    p50ms: Number(percentile(sorted, 0.5).toFixed(2)),
    p99ms: Number(percentile(sorted, 0.99).toFixed(2)),
    samples: latencies.length,
  };
}

async function main() {
  const cells: Cell[] = [];
  const skipped: string[] = [];
  const postgresUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  const openers: Array<[string, () => Promise<Database>]> = [['pglite', openPglite]];
  if (postgresUrl) openers.push([`postgres (${redactUrl(postgresUrl)})`, () => openPostgres(postgresUrl)]);
  else skipped.push('postgres: skipped, set TEST_DATABASE_URL or DATABASE_URL to include it');

  for (const [label, open] of openers) {
    const database = await open();
    try {
      await runMigrations(database.pool);
      // WebAssembly (PGlite) and V8 keep optimising for the first seconds; warm both before timing.
      await measure(database, 16, 'reserve+commit', DATABASE_WARMUP_MS);
      for (const clients of CONCURRENCY) {
        for (const operation of OPERATIONS) {
          const cell = await measure(database, clients, operation);
          cells.push(cell);
          console.error(`${label}: ${clients} client(s), ${operation}: ${cell.opsPerSec}/s`);
        }
      }
    } finally {
      await database.close();
    }
  }

  const header = ['database', 'clients', 'operation', 'ops/s', 'p50 ms', 'p99 ms', 'samples'];
  const rows = cells.map((c) => [c.database, String(c.clients), c.operation, String(c.opsPerSec), c.p50ms.toFixed(2), c.p99ms.toFixed(2), String(c.samples)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cols: string[]) => `| ${cols.map((col, i) => (i >= 3 ? col.padStart(widths[i]) : col.padEnd(widths[i]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  for (const note of skipped) console.log(note);
  console.log('ops/s: completed operations per second over all clients; an operation is one reserve, or one reserve then commit.');

  const out = resolve(args.out!);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({
    benchmark: 'budget',
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadavg: loadavg().map((l) => Number(l.toFixed(2))),
    secondsPerCell: SECONDS,
    workload: '16 users, 4 teams, 1 org, all limited; 0.01 per operation',
    results: cells,
    skipped,
  }, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

await main();
