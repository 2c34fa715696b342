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
 * The ledger batches operations that arrive together into one statement (src/budget/batch.ts),
 * so more clients mean bigger batches, not more contention. After the run, every total is
 * checked against the reservations it sums, and against its limit: a fast ledger that lost
 * or double-counted an operation fails the benchmark.
 *
 * Options: --seconds 2.5 (timed per cell, after a short warm-up)   --out bench/results/budget.json
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { BudgetLedger } from '../src/budget/ledger.js';
import type { BudgetEntities } from '../src/budget/types.js';
import { parseConfig } from '../src/config.js';
import { logger } from '../src/log.js';
import { redactUrl } from '../src/store/connect.js';
import { runMigrations } from '../src/store/migrate.js';
import { openPgliteBench, openPostgresBench, type BenchDatabase } from './database.js';

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

type Database = BenchDatabase;

const users = Array.from({ length: 16 }, (_, i) => `bench-user-${i}`);
const teams = Array.from({ length: 4 }, (_, i) => `bench-team-${i}`);
const budgets = parseConfig({
  budgets: {
    org: 1e9,
    users: Object.fromEntries(users.map((user) => [user, 1e9])),
    teams: Object.fromEntries(teams.map((team) => [team, 1e9])),
  },
}, { env: {} }).budgets;

/**
 * Every total equals what its reservations hold and have spent, and none is past its limit.
 * Returns the number of totals checked; throws on the first that is wrong.
 */
async function checkConsistency(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ level: string; entity: string; period: string; spent: string; reserved: string; spent_sum: string; reserved_sum: string }>(
    `WITH sums AS (
       SELECT x.level, x.entity, r.period,
              COALESCE(SUM(r.actual_micros) FILTER (WHERE r.state = 'committed'), 0) AS spent_sum,
              COALESCE(SUM(r.estimated_micros) FILTER (WHERE r.state = 'reserved'), 0) AS reserved_sum
         FROM budget_reservations r
        CROSS JOIN LATERAL (VALUES ('user', r.user_entity), ('team', r.team_entity), ('org', r.org_entity)) AS x(level, entity)
        WHERE x.entity IS NOT NULL AND r.period IS NOT NULL
        GROUP BY 1, 2, 3)
     SELECT t.level, t.entity, t.period, t.spent_micros AS spent, t.reserved_micros AS reserved,
            COALESCE(s.spent_sum, 0) AS spent_sum, COALESCE(s.reserved_sum, 0) AS reserved_sum
       FROM budget_totals t LEFT JOIN sums s USING (level, entity, period)`);
  const limit = 1e9 * 1e6;
  for (const row of rows) {
    const where = `${row.level} ${row.entity} ${row.period}`;
    if (row.spent !== String(row.spent_sum) || row.reserved !== String(row.reserved_sum)) {
      throw new Error(`${where}: totals say spent ${row.spent}, reserved ${row.reserved}; its reservations ${row.spent_sum}, ${row.reserved_sum}`);
    }
    if (Number(row.spent) + Number(row.reserved) > limit) throw new Error(`${where}: past its limit`);
  }
  return rows.length;
}

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
  const consistency: string[] = [];
  const postgresUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  const openers: Array<[string, () => Promise<Database>]> = [['pglite', openPgliteBench]];
  if (postgresUrl) openers.push([`postgres (${redactUrl(postgresUrl)})`, () => openPostgresBench(postgresUrl)]);
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
      consistency.push(`${database.kind}: ${await checkConsistency(database.pool)} totals match their reservations, none past its limit`);
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
  for (const note of [...consistency, ...skipped]) console.log(note);
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
    consistency,
    skipped,
  }, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

await main();
