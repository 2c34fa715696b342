import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type pg from 'pg';
import type { Queryable } from '../store/connect.js';
import { withTransaction } from '../store/transaction.js';
import { TollgateInputError } from '../errors.js';
import { AuditStoreError } from './errors.js';
import { prepareAuditEntry, sealAuditEntry, type PreparedAuditEntry } from './normalise.js';
import type {
  AuditEntry, AuditEntryInput, AuditExportFilter, AuditExportResult, AuditQuery, ChainVerification,
} from './types.js';
import { ChainVerifier, toJsonLine } from './verify.js';

interface EntryRow {
  seq: string;
  entry_key: string;
  at: Date;
  type: string;
  operation_id: string | null;
  actor: string | null;
  action: string | null;
  resource: string | null;
  outcome: string | null;
  rule: string | null;
  data: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

interface HeadRow {
  last_seq: string;
  last_hash: string;
}

const COLUMNS = 'seq, entry_key, at, type, operation_id, actor, action, resource, outcome, rule, data, prev_hash, hash';

/** Rows read per round trip when walking the whole chain (verify, export). */
const PAGE = 1_000;

function entryOf(row: EntryRow): AuditEntry {
  return {
    seq: Number(row.seq),
    key: row.entry_key,
    at: row.at.toISOString(),
    type: row.type,
    operationId: row.operation_id,
    actor: row.actor,
    action: row.action,
    resource: row.resource,
    outcome: row.outcome,
    rule: row.rule,
    data: row.data,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

async function readHead(db: Queryable, lock: boolean): Promise<{ seq: number; hash: string }> {
  const { rows } = await db.query<HeadRow>(`SELECT last_seq, last_hash FROM audit_chain_head${lock ? ' FOR UPDATE' : ''}`);
  if (rows.length !== 1) throw new AuditStoreError('the audit chain head row is missing (migration 003_audit not applied, or the row was removed)');
  return { seq: Number(rows[0].last_seq), hash: rows[0].last_hash };
}

export interface AuditTrailOptions {
  /** The clock for entries appended without `at` (tests pin it). */
  now?: () => Date;
}

/**
 * The tamper-evident audit trail: an append-only hash chain in the SQL store.
 *
 * Appends lock the chain's head row, so entries from every worker and pool form one chain,
 * whatever the database: on Postgres the row lock queues them; on embedded PGlite the
 * socket server already runs one transaction at a time.
 */
export class AuditTrail {
  private readonly now: () => Date;

  constructor(private readonly pool: pg.Pool, options: AuditTrailOptions = {}) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Append one entry, or several in one transaction (all or none). An entry whose key is
   * already in the trail is not written again; the stored one is returned in its place, so a
   * retried activity is harmless. Entries are validated and redacted before anything is written.
   */
  append(entry: AuditEntryInput): Promise<AuditEntry>;
  append(entries: readonly AuditEntryInput[]): Promise<AuditEntry[]>;
  async append(input: AuditEntryInput | readonly AuditEntryInput[]): Promise<AuditEntry | AuditEntry[]> {
    const many = Array.isArray(input);
    const prepared = (many ? input : [input as AuditEntryInput]).map((entry) => prepareAuditEntry(entry, this.now));
    const written = prepared.length === 0 ? [] : await withTransaction(this.pool, (client) => appendLocked(client, prepared));
    return many ? written : written[0];
  }

  /** Entries matching every given filter, oldest first. */
  async query(filter: AuditQuery = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.operationId !== undefined) add('operation_id = ?', filter.operationId);
    if (filter.type !== undefined) add('type = ANY(?::text[])', typeof filter.type === 'string' ? [filter.type] : [...filter.type]);
    if (filter.actor !== undefined) add('actor = ?', filter.actor);
    if (filter.since !== undefined) add('at >= ?', filter.since);
    if (filter.until !== undefined) add('at <= ?', filter.until);
    const conditions = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    if (filter.limit !== undefined) {
      if (!Number.isInteger(filter.limit) || filter.limit < 1) throw new TollgateInputError(`limit: expected a positive integer, got ${filter.limit}`, 'limit');
      params.push(filter.limit);
      const { rows } = await this.pool.query<EntryRow>(
        `SELECT * FROM (SELECT ${COLUMNS} FROM audit_entries ${conditions} ORDER BY seq DESC LIMIT $${params.length}) latest ORDER BY seq`, params);
      return rows.map(entryOf);
    }
    const { rows } = await this.pool.query<EntryRow>(`SELECT ${COLUMNS} FROM audit_entries ${conditions} ORDER BY seq`, params);
    return rows.map(entryOf);
  }

  /** The end of the chain: how many entries it has and the last one's hash. */
  async head(): Promise<{ seq: number; hash: string }> {
    return readHead(this.pool, false);
  }

  /**
   * Recompute every hash and link from the first entry to the head, and check the table ends
   * where the head says. Appends made while it runs are past the head it read and are left
   * for the next run. Reads page by page, outside a transaction, so it never holds up appends.
   */
  async verify(): Promise<ChainVerification> {
    const head = await readHead(this.pool, false);
    const verifier = new ChainVerifier();
    for await (const entry of this.walk(1, head.seq)) verifier.add(entry);
    const last = verifier.last;
    const lastSeq = last?.seq ?? 0;
    if (lastSeq < head.seq) {
      verifier.fail({
        seq: lastSeq + 1,
        reason: lastSeq + 1 === head.seq
          ? `entry ${head.seq} is missing (deleted): the chain head says it ends at ${head.seq}, the table at ${lastSeq}`
          : `entries ${lastSeq + 1}..${head.seq} are missing (deleted): the chain head says it ends at ${head.seq}, the table at ${lastSeq}`,
      });
    } else if (last && last.hash !== head.hash) {
      verifier.fail({ seq: head.seq, reason: `entry ${head.seq} is not the one the chain head recorded: its hash differs from the head's` });
    }
    return verifier.result();
  }

  /**
   * Write a contiguous slice of the chain as JSONL, one entry per line with its hashes, so
   * that `verifyJsonl` can check it offline. Honours backpressure; does not end `out`.
   */
  async exportJsonl(out: Writable, filter: AuditExportFilter = {}): Promise<AuditExportResult> {
    const head = await readHead(this.pool, false);
    let from = 1;
    let to = head.seq;
    if (filter.since !== undefined) {
      const { rows } = await this.pool.query<{ seq: string | null }>('SELECT min(seq) AS seq FROM audit_entries WHERE at >= $1', [filter.since]);
      from = rows[0].seq === null ? to + 1 : Number(rows[0].seq);
    }
    if (filter.until !== undefined) {
      const { rows } = await this.pool.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM audit_entries WHERE at <= $1', [filter.until]);
      to = Math.min(to, rows[0].seq === null ? 0 : Number(rows[0].seq));
    }
    let entries = 0;
    let firstSeq: number | null = null;
    let lastSeq: number | null = null;
    for await (const entry of this.walk(from, to)) {
      if (!out.write(`${toJsonLine(entry)}\n`)) await once(out, 'drain');
      entries++;
      firstSeq ??= entry.seq;
      lastSeq = entry.seq;
    }
    return { entries, firstSeq, lastSeq };
  }

  /** Entries from seq `from` to `to` inclusive, in order, a page at a time. */
  private async *walk(from: number, to: number): AsyncGenerator<AuditEntry> {
    let after = from - 1;
    while (after < to) {
      const { rows } = await this.pool.query<EntryRow>(
        `SELECT ${COLUMNS} FROM audit_entries WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT ${PAGE}`, [after, to]);
      if (rows.length === 0) return;
      for (const row of rows) yield entryOf(row);
      after = Number(rows[rows.length - 1].seq);
    }
  }
}

/**
 * The append itself, inside the caller's transaction. Locking the head row first serialises
 * every append, so reading the existing keys after it is race-free and each new entry takes
 * the next seq with no gap.
 */
async function appendLocked(client: Queryable, entries: readonly PreparedAuditEntry[]): Promise<AuditEntry[]> {
  const head = await readHead(client, true);
  const keys = [...new Set(entries.map((entry) => entry.key))];
  const { rows } = await client.query<EntryRow>(`SELECT ${COLUMNS} FROM audit_entries WHERE entry_key = ANY($1::text[])`, [keys]);
  const byKey = new Map(rows.map((row) => [row.entry_key, entryOf(row)]));
  let seq = head.seq;
  let prevHash = head.hash;
  const result: AuditEntry[] = [];
  for (const prepared of entries) {
    const existing = byKey.get(prepared.key);
    if (existing) {
      result.push(existing);
      continue;
    }
    const entry = sealAuditEntry(prepared, seq + 1, prevHash);
    const inserted = await client.query<EntryRow>(
      `INSERT INTO audit_entries (${COLUMNS})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13)
       ON CONFLICT (entry_key) DO NOTHING
       RETURNING seq`,
      [entry.seq, entry.key, entry.at, entry.type, entry.operationId, entry.actor, entry.action, entry.resource,
        entry.outcome, entry.rule, JSON.stringify(entry.data), entry.prevHash, entry.hash]);
    if (inserted.rowCount === 0) {
      // Only a writer that bypassed the head lock can get here; the chain stays where it was.
      const again = await client.query<EntryRow>(`SELECT ${COLUMNS} FROM audit_entries WHERE entry_key = $1`, [entry.key]);
      const found = entryOf(again.rows[0]);
      byKey.set(found.key, found);
      result.push(found);
      continue;
    }
    seq = entry.seq;
    prevHash = entry.hash;
    byKey.set(entry.key, entry);
    result.push(entry);
  }
  if (seq !== head.seq) await client.query('UPDATE audit_chain_head SET last_seq = $1, last_hash = $2', [seq, prevHash]);
  return result;
}
