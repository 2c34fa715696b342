/**
 * `npm run bench:audit`: the audit trail at scale. On Postgres (TEST_DATABASE_URL or
 * DATABASE_URL) with 1,000,000 entries, and on embedded PGlite (through its socket server, as
 * the service runs it) with a smaller trail:
 *   - fill: entries built, hashed and signed in Node as the trail builds them (a checkpoint every
 *     1,000), inserted 5,000 per statement with the triggers off (the bench owns the database);
 *   - queries: the CLI's `audit query` (latest 100 matches) by operation, by actor, by actor within
 *     30 days and by type within one day, in the middle of the trail, 30 random ones each;
 *   - appends: 16 writers appending one entry at a time for --seconds, through one AuditTrail
 *     (one process: group commit shares transactions), through 16 AuditTrails (16 processes'
 *     worth: each writer its own transactions), and through one trail without a key (what
 *     signing costs);
 *   - verify: the whole chain, checkpoints and signatures included.
 * Goals (issue 13), on Postgres at 1M: each query < 100 ms, appends >= 2,000/s from 16 writers,
 * verify < 10 s.
 *
 * Options: --entries N (Postgres, default 1000000)  --pglite-entries N (default 50000)
 *          --seconds 5 (per append cell)  --out bench/results/audit.json  --skip-pglite
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  AuditTrail, auditKeyId, sealAuditEntry, signCheckpoint, signEntryHashes, type AuditEntry, type AuditEntryInput, type PreparedAuditEntry,
} from '../src/audit/index.js';
import type { ServiceKey } from '../src/keys.js';
import { logger } from '../src/log.js';
import { redactUrl } from '../src/store/connect.js';
import { runMigrations } from '../src/store/migrate.js';
import { openPgliteBench, openPostgresBench, type BenchDatabase } from './database.js';

logger.level = process.env.TOLLGATE_LOG_LEVEL ?? 'warn';

const { values: args } = parseArgs({
  options: {
    entries: { type: 'string', default: '1000000' },
    'pglite-entries': { type: 'string', default: '50000' },
    seconds: { type: 'string', default: '5' },
    out: { type: 'string', default: 'bench/results/audit.json' },
    'skip-pglite': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds);
const WRITERS = 16;
const QUERIES = 30;
const FILL_BATCH = 5_000;
const CHECKPOINT_EVERY = 1_000;
const GOALS = { queryMs: 100, appendsPerSec: 2_000, verifySeconds: 10 };

type Database = BenchDatabase;

function serviceKey(): ServiceKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, source: 'bench', publicKeyBase64: publicKey.export({ format: 'der', type: 'spki' }).toString('base64') };
}

const ACTORS = 2_000;
const START = Date.parse('2025-01-01T00:00:00Z');
const SPAN_MS = 90 * 86_400_000;

/**
 * The i-th entry of a trail shaped like the service's: six steps per operation (decision,
 * reservation, approval request, vote, outcome, commit), an actor out of 2,000, times spread
 * evenly over 90 days. Already in the prepared (validated, redacted) form the trail stores.
 */
function benchEntry(i: number, total: number): PreparedAuditEntry {
  const op = Math.floor(i / 6);
  const step = i % 6;
  const actor = `user-${(op * 7919) % ACTORS}`;
  const at = new Date(START + Math.floor((i / total) * SPAN_MS)).toISOString();
  const common = { at, operationId: `op-${op}`, actor, action: 'data:export', resource: `dataset://team${op % 40}/table${op % 300}`, rule: 'export_needs_approval' };
  switch (step) {
    case 0: return {
      ...common, key: `op-${op}:policy_decision`, type: 'policy_decision', outcome: 'require_approval',
      data: { reason: 'Exports of team data need a manager', policySet: 'enterprise', policyVersion: '3f9a2c1b', metadata: { approvers: 1 },
        subject: { roles: ['analyst'], attributes: { team_id: `team${op % 40}`, mfa_verified: true }, tags: { tenant_id: 'acme' } },
        context: { rows: 1000 + (op % 5000), environment: 'production' } },
    };
    case 1: return { ...common, key: `op-${op}:budget_reserved`, type: 'budget_reserved', outcome: null, data: { amount: 1.25, user: actor, team: `team${op % 40}`, period: '2025-01' } };
    case 2: return { ...common, key: `op-${op}:approval_requested`, type: 'approval_requested', outcome: 'pending', data: { required: 1, deadline: at, approverRoles: ['manager'] } };
    case 3: return { ...common, key: `op-${op}:approval_vote:mgr`, type: 'approval_vote', actor: `mgr-${op % 50}`, outcome: op % 10 === 0 ? 'reject' : 'approve', data: { slackUserId: `U${op % 50}` } };
    case 4: return { ...common, key: `op-${op}:approval_decision`, type: 'approval_decision', actor: `mgr-${op % 50}`, outcome: op % 10 === 0 ? 'rejected' : 'approved', data: { votes: [{ approver: `mgr-${op % 50}`, decision: 'approve', at }] } };
    default: return { ...common, key: `op-${op}:operation_completed`, type: 'operation_completed', outcome: 'completed', data: { cost: 1.25 } };
  }
}

const COLUMNS = 'seq, entry_key, at, type, operation_id, actor, action, resource, outcome, rule, data, prev_hash, hash, signature, key_id';

/** Fill the trail with `total` signed entries and a checkpoint every 1,000, as the trail would have written them. */
async function fill(db: Database, total: number, key: ServiceKey): Promise<{ seconds: number; perSec: number }> {
  const started = performance.now();
  const keyId = auditKeyId(key.publicKey);
  await db.pool.query('ALTER TABLE audit_entries DISABLE TRIGGER USER');
  let prevHash = '0'.repeat(64);
  let lastCheckpoint = 0;
  for (let from = 0; from < total; from += FILL_BATCH) {
    const batch: AuditEntry[] = [];
    const checkpoints: { seq: number; hash: string; at: string; keyId: string; signature: string }[] = [];
    for (let i = from; i < Math.min(total, from + FILL_BATCH); i++) {
      const entry: AuditEntry = sealAuditEntry(benchEntry(i, total), i + 1, prevHash);
      batch.push(entry);
      prevHash = entry.hash;
      if (entry.seq % CHECKPOINT_EVERY === 0 || entry.seq === total) {
        checkpoints.push(signCheckpoint({ seq: entry.seq, hash: entry.hash, at: entry.at, keyId }, key.privateKey!));
        lastCheckpoint = entry.seq;
      }
    }
    const signatures = await signEntryHashes(batch.map((entry) => entry.hash), key.privateKey!);
    batch.forEach((entry, i) => Object.assign(entry, { signature: signatures[i], keyId }));
    const col = <T>(pick: (e: AuditEntry) => T) => batch.map(pick);
    await db.pool.query(
      `INSERT INTO audit_entries (${COLUMNS}) SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[],
         $7::text[], $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::text[], $13::text[], $14::text[], $15::text[])`,
      [col((e) => e.seq), col((e) => e.key), col((e) => e.at), col((e) => e.type), col((e) => e.operationId), col((e) => e.actor),
        col((e) => e.action), col((e) => e.resource), col((e) => e.outcome), col((e) => e.rule), col((e) => JSON.stringify(e.data)),
        col((e) => e.prevHash), col((e) => e.hash), col((e) => e.signature), col((e) => e.keyId)]);
    if (checkpoints.length > 0) {
      await db.pool.query(
        'INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature) SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::text[])',
        [checkpoints.map((c) => c.seq), checkpoints.map((c) => c.hash), checkpoints.map((c) => c.at), checkpoints.map((c) => c.keyId), checkpoints.map((c) => c.signature)]);
    }
    if ((from / FILL_BATCH) % 20 === 19) console.error(`  filled ${from + batch.length} / ${total}`);
  }
  await db.pool.query('ALTER TABLE audit_entries ENABLE TRIGGER USER');
  await db.pool.query('UPDATE audit_chain_head SET last_seq = $1, last_hash = $2, checkpoint_seq = $3, checkpoint_at = now()', [total, prevHash, lastCheckpoint]);
  await db.pool.query('ANALYZE audit_entries');
  const seconds = (performance.now() - started) / 1000;
  return { seconds: Number(seconds.toFixed(1)), perSec: Math.round(total / seconds) };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const ms = (value: number) => Number(value.toFixed(1));

interface QueryCell { query: string; p50ms: number; maxMs: number; rows: number }

async function queries(trail: AuditTrail, total: number): Promise<QueryCell[]> {
  const ops = Math.floor(total / 6);
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const kinds: Array<[string, () => Promise<AuditEntry[]>]> = [
    ['by operation', () => trail.query({ operationId: `op-${Math.floor(random() * ops)}`, limit: 100 })],
    ['by actor', () => trail.query({ actor: `user-${Math.floor(random() * ACTORS)}`, limit: 100 })],
    ['by actor + 30-day range', () => {
      const since = new Date(START + (0.2 + random() * 0.4) * SPAN_MS);
      return trail.query({ actor: `user-${Math.floor(random() * ACTORS)}`, since, until: new Date(since.getTime() + 30 * 86_400_000), limit: 100 });
    }],
    ['by type + 1-day range', () => {
      const since = new Date(START + (0.3 + random() * 0.4) * SPAN_MS);
      return trail.query({ type: 'approval_vote', since, until: new Date(since.getTime() + 86_400_000), limit: 100 });
    }],
  ];
  const cells: QueryCell[] = [];
  for (const [name, run] of kinds) {
    await run();
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < QUERIES; i++) {
      const t0 = performance.now();
      rows += (await run()).length;
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    cells.push({ query: name, p50ms: ms(percentile(times, 0.5)), maxMs: ms(times[times.length - 1]), rows: Math.round(rows / QUERIES) });
  }
  return cells;
}

interface AppendCell { writers: string; perSec: number; p50ms: number; p99ms: number; appended: number }

async function appends(label: string, trails: AuditTrail[]): Promise<AppendCell> {
  const run = randomBytes(4).toString('hex');
  let sequence = 0;
  const latencies: number[] = [];
  const entry = (): AuditEntryInput => {
    const n = sequence++;
    return { key: `bench-${run}-${n}:operation_started`, type: 'operation_started', operationId: `bench-${run}-${n}`, actor: `user-${n % ACTORS}`,
      action: 'data:read', resource: `dataset://team${n % 40}/t`, outcome: 'executing', data: { operation: 'export', args: { rows: n } } };
  };
  const phase = async (msLong: number, record: boolean) => {
    const until = performance.now() + msLong;
    await Promise.all(Array.from({ length: WRITERS }, async (_, w) => {
      const trail = trails[w % trails.length];
      while (performance.now() < until) {
        const t0 = performance.now();
        await trail.append(entry());
        if (record) latencies.push(performance.now() - t0);
      }
    }));
  };
  await phase(1_000, false);
  const started = performance.now();
  await phase(SECONDS * 1000, true);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { writers: label, perSec: Math.round(latencies.length / elapsed), p50ms: ms(percentile(latencies, 0.5)), p99ms: ms(percentile(latencies, 0.99)), appended: latencies.length };
}

interface Result {
  database: 'pglite' | 'postgres';
  entries: number;
  fill: { seconds: number; perSec: number };
  queries: QueryCell[];
  appends: AppendCell[];
  verify: { seconds: number; entriesPerSec: number; ok: boolean; checkpoints: number; summary: string };
  indexes: string[];
}

async function benchDatabase(db: Database, total: number): Promise<Result> {
  await runMigrations(db.pool);
  const key = serviceKey();
  console.error(`${db.kind}: filling ${total} entries`);
  const filled = await fill(db, total, key);
  console.error(`${db.kind}: filled in ${filled.seconds} s (${filled.perSec}/s)`);
  const trail = new AuditTrail(db.pool, { key });
  const queryCells = await queries(trail, total);
  console.error(`${db.kind}: queries ${queryCells.map((q) => `${q.query} ${q.p50ms} ms`).join(', ')}`);

  const appendCells: AppendCell[] = [];
  appendCells.push(await appends('16 on one trail (signed)', [trail]));
  const pools = Array.from({ length: WRITERS }, () => db.newPool(1));
  appendCells.push(await appends('16 trails, 1 each (signed)', pools.map((pool) => new AuditTrail(pool, { key }))));

  // Verify before the keyless cell: unsigned entries after signed ones rightly fail verification.
  const t0 = performance.now();
  const result = await trail.verify();
  const seconds = (performance.now() - t0) / 1000;
  console.error(`${db.kind}: verify ${result.entries} entries in ${seconds.toFixed(2)} s: ${result.ok ? 'ok' : result.firstBroken?.reason}`);

  appendCells.push(await appends('16 on one trail (no key)', [new AuditTrail(db.pool)]));
  for (const cell of appendCells) console.error(`${db.kind}: appends, ${cell.writers}: ${cell.perSec}/s`);
  const { rows } = await db.pool.query<{ indexdef: string }>(
    "SELECT indexdef FROM pg_indexes WHERE tablename = 'audit_entries' AND schemaname = current_schema() ORDER BY indexname");
  return {
    database: db.kind,
    entries: result.entries,
    fill: filled,
    queries: queryCells,
    appends: appendCells,
    verify: {
      seconds: Number(seconds.toFixed(2)), entriesPerSec: Math.round(result.entries / seconds), ok: result.ok,
      checkpoints: result.signatures?.checkpoints ?? 0, summary: result.ok ? 'ok' : String(result.firstBroken?.reason),
    },
    indexes: rows.map((row) => row.indexdef.replace(/ ON \w+\.audit_entries/, ' ON audit_entries')),
  };
}

function table(results: Result[]): string {
  const rows: string[][] = [];
  for (const r of results) {
    const at = `${r.database} @ ${r.entries.toLocaleString('en-US')}`;
    for (const q of r.queries) rows.push([at, `query ${q.query} (latest 100)`, `${q.p50ms} ms p50, ${q.maxMs} max`, `< ${GOALS.queryMs} ms`, q.maxMs < GOALS.queryMs ? 'yes' : 'no']);
    for (const a of r.appends) rows.push([at, `append, ${a.writers}`, `${a.perSec}/s (p50 ${a.p50ms} ms, p99 ${a.p99ms} ms)`, `>= ${GOALS.appendsPerSec}/s`, a.perSec >= GOALS.appendsPerSec ? 'yes' : 'no']);
    rows.push([at, 'verify whole chain', `${r.verify.seconds} s (${r.verify.entriesPerSec}/s, ${r.verify.ok ? 'ok' : 'BROKEN'})`, `< ${GOALS.verifySeconds} s`, r.verify.seconds < GOALS.verifySeconds ? 'yes' : 'no']);
    rows.push([at, 'fill (hash + sign in Node, insert)', `${r.fill.seconds} s (${r.fill.perSec}/s)`, '', '']);
  }
  const header = ['database', 'what', 'measured', 'goal (Postgres, 1M)', 'met'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cols: string[]) => `| ${cols.map((col, i) => col.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main() {
  const results: Result[] = [];
  const skipped: string[] = [];
  const postgresUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  const plans: Array<[() => Promise<Database>, number]> = [];
  if (!args['skip-pglite']) plans.push([openPgliteBench, Number(args['pglite-entries'])]);
  if (postgresUrl) plans.push([() => openPostgresBench(postgresUrl), Number(args.entries)]);
  else skipped.push('postgres: skipped, set TEST_DATABASE_URL or DATABASE_URL to include it');
  for (const [open, total] of plans) {
    const db = await open();
    try {
      results.push(await benchDatabase(db, total));
    } finally {
      await db.close();
    }
  }
  console.log(table(results));
  for (const note of skipped) console.log(note);
  if (postgresUrl) console.log(`postgres: ${redactUrl(postgresUrl)}`);
  const out = resolve(args.out!);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({
    benchmark: 'audit', date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length,
    loadavg: loadavg().map((l) => Number(l.toFixed(2))), secondsPerAppendCell: SECONDS, writers: WRITERS, goals: GOALS, results, skipped,
  }, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

await main();
