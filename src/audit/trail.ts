import type { KeyObject } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type pg from 'pg';
import type { ServiceKey } from '../keys.js';
import { logger as defaultLogger, type Logger } from '../log.js';
import type { Queryable } from '../store/connect.js';
import { withTransaction } from '../store/transaction.js';
import { TollgateInputError } from '../errors.js';
import { AuditStoreError } from './errors.js';
import { prepareAuditEntry, sealAuditEntry, type PreparedAuditEntry } from './normalise.js';
import { auditKeyId, firstInvalidEntrySignature, signCheckpoint, signEntryHashes } from './signing.js';
import { TrailVerifier, type AnchoredCheckpoint } from './trailVerifier.js';
import type {
  AuditAnchorSink, AuditCheckpoint, AuditEntry, AuditEntryInput, AuditExportFilter, AuditExportResult, AuditQuery, ChainVerification,
} from './types.js';
import { toJsonLine, type ChainLink } from './verify.js';
import { hashRawEntry, type RawEntry } from './hash.js';

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
  signature: string | null;
  key_id: string | null;
}

interface HeadRow {
  last_seq: string;
  last_hash: string;
  checkpoint_seq: string;
  checkpoint_at: Date | null;
}

interface Head {
  seq: number;
  hash: string;
  checkpointSeq: number;
  checkpointAt: Date | null;
}

const COLUMNS = 'seq, entry_key, at, type, operation_id, actor, action, resource, outcome, rule, data, prev_hash, hash, signature, key_id';

/** Rows read per round trip when walking the whole chain (verify, export). */
const PAGE = 5_000;
/** Entries written in one transaction at most, however many appends are waiting. */
const MAX_BATCH = 1_000;
/** Attempts when another writer slipped in an entry with one of our keys between look-up and lock. */
const KEY_RACE_ATTEMPTS = 5;
/** Fast-path attempts before an append waits for the head lock instead (writers in other processes keep moving the head). */
const OPTIMISTIC_ATTEMPTS = 2;

/** An entry row as verify reads it (rawPages): `at` and `data` as text. */
type RawRow = Omit<EntryRow, 'at' | 'data'> & { at: string; data: string };

/** `at` in exactly the form `toISOString` gives (what entries are hashed over), formatted by the database. */
const ISO_AT = `to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const rawEntryOf = (row: RawRow): RawEntry => [Number(row.seq), row.entry_key, row.at, row.type, row.operation_id, row.actor, row.action,
  row.resource, row.outcome, row.rule, row.data, row.prev_hash];

const linkOf = (row: RawRow): ChainLink => ({
  seq: Number(row.seq),
  prevHash: row.prev_hash,
  hash: row.hash,
  ...(row.signature !== null ? { signature: row.signature } : {}),
  ...(row.key_id !== null ? { keyId: row.key_id } : {}),
});

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
    ...(row.signature !== null ? { signature: row.signature } : {}),
    ...(row.key_id !== null ? { keyId: row.key_id } : {}),
  };
}

async function readHead(db: Queryable, lock: boolean): Promise<Head> {
  const { rows } = await db.query<HeadRow>(`SELECT last_seq, last_hash, checkpoint_seq, checkpoint_at FROM audit_chain_head${lock ? ' FOR UPDATE' : ''}`);
  if (rows.length !== 1) throw new AuditStoreError('the audit chain head row is missing (migration 003_audit not applied, or the row was removed)');
  const row = rows[0];
  return { seq: Number(row.last_seq), hash: row.last_hash, checkpointSeq: Number(row.checkpoint_seq), checkpointAt: row.checkpoint_at };
}

/** When the writer that crosses a boundary signs a checkpoint (DESIGN: signed checkpoints). */
export interface CheckpointPolicy {
  /** At most this many entries between checkpoints (default 1,000). */
  everyEntries: number;
  /** And at most this long, counted from the last checkpoint (default 30 s; see `maintain`). */
  everySeconds: number;
}

export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { everyEntries: 1_000, everySeconds: 30 };

export interface AuditTrailOptions {
  /** The clock for entries appended without `at`, and for checkpoints (tests pin it). */
  now?: () => Date;
  /**
   * The audit key (`loadServiceKey({ purpose: 'audit', ... })`). With its private half the trail
   * signs every entry and writes checkpoints; with only the public half, or none, it appends
   * unsigned entries and no checkpoints, and `verify` uses the public half when it has one.
   */
  key?: ServiceKey;
  checkpoints?: Partial<CheckpointPolicy>;
  /** Where checkpoints are copied outside the database; `anchor()` and `maintain()` send them. */
  anchors?: readonly AuditAnchorSink[];
  logger?: Logger;
}

export interface AuditVerifyOptions {
  /** The audit key's public half; default the trail's own key. */
  publicKey?: KeyObject;
  /** Checkpoints read from anchors (`readAnchors`), read before calling so none is newer than the chain. */
  anchors?: { source: string; checkpoints: readonly AnchoredCheckpoint[] };
}

interface PendingAppend {
  entries: readonly PreparedAuditEntry[];
  resolve(entries: AuditEntry[]): void;
  reject(error: unknown): void;
}

class KeyRace extends Error {}

interface Sealed {
  /** Per append, its entries as stored: new ones sealed, known keys as found. */
  results: AuditEntry[][];
  fresh: AuditEntry[];
  end: { seq: number; hash: string };
}

const UNIQUE_VIOLATION = '23505';

/**
 * The tamper-evident audit trail: an append-only hash chain in the SQL store, each entry signed
 * with the audit key, with signed checkpoints copied to anchors outside the database
 * (src/audit/README.md has the threat model).
 *
 * Appends lock the chain's head row, so entries from every worker and pool form one chain. The
 * lock is held for two statements: one reads the head, one inserts the entries, moves the head
 * and writes a checkpoint when one is due. Appends that arrive while a transaction is in flight
 * wait for it and then go together in the next one (group commit), so a commit's flush is shared
 * by everything that queued behind it.
 */
export class AuditTrail {
  private readonly now: () => Date;
  private readonly privateKey?: KeyObject;
  private readonly publicKey?: KeyObject;
  private readonly keyId?: string;
  private readonly policy: CheckpointPolicy;
  private readonly sinks: readonly AuditAnchorSink[];
  private readonly log: Logger;
  private queue: PendingAppend[] = [];
  private flushing = false;
  /** Hashes this trail signed lately: a checkpoint need not re-check its own signatures. */
  private readonly signedHere = new Set<string>();
  private readonly signedOrder: string[] = [];
  /** A seq whose entry failed its signature check: checkpoints stop short of it (logged once). */
  private untrustedFrom?: number;
  private readonly anchoring = new Map<string, Promise<void>>();
  /** The head as this trail last wrote or read it: the fast path's guess of where the chain ends. */
  private knownHead?: Head;

  constructor(private readonly pool: pg.Pool, options: AuditTrailOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.privateKey = options.key?.privateKey;
    this.publicKey = options.key?.publicKey;
    this.keyId = this.publicKey ? auditKeyId(this.publicKey) : undefined;
    this.policy = { ...DEFAULT_CHECKPOINT_POLICY, ...options.checkpoints };
    if (!Number.isInteger(this.policy.everyEntries) || this.policy.everyEntries < 1) {
      throw new TollgateInputError(`audit checkpoints.everyEntries: expected a positive integer, got ${this.policy.everyEntries}`, 'checkpoints.everyEntries');
    }
    if (!(this.policy.everySeconds > 0)) {
      throw new TollgateInputError(`audit checkpoints.everySeconds: expected a positive number, got ${this.policy.everySeconds}`, 'checkpoints.everySeconds');
    }
    this.sinks = options.anchors ?? [];
    this.log = options.logger ?? defaultLogger;
  }

  /** Whether entries are signed and checkpoints written (the trail holds the private key). */
  get signing(): boolean {
    return this.privateKey !== undefined;
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
    const written = prepared.length === 0 ? [] : await new Promise<AuditEntry[]>((resolve, reject) => {
      this.queue.push({ entries: prepared, resolve, reject });
      void this.drain();
    });
    return many ? written : written[0];
  }

  /** Write what is queued, one transaction at a time, until the queue is empty. */
  private async drain(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch: PendingAppend[] = [];
        let size = 0;
        while (this.queue.length > 0 && (batch.length === 0 || size + this.queue[0].entries.length <= MAX_BATCH)) {
          const next = this.queue.shift()!;
          batch.push(next);
          size += next.entries.length;
        }
        await this.writeBatch(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async writeBatch(batch: PendingAppend[]): Promise<void> {
    try {
      const results = await this.write(batch.map((pending) => pending.entries));
      batch.forEach((pending, i) => pending.resolve(results[i]));
    } catch (error) {
      if (batch.length === 1) {
        batch[0].reject(error);
        return;
      }
      // One caller's entry must not fail the others that happened to share its transaction.
      for (const pending of batch) await this.writeBatch([pending]);
    }
  }

  /**
   * One transaction for several appends; each keeps its own entries' order and all-or-none.
   *
   * The usual case takes one statement and no explicit transaction: the entries are sealed
   * against the head this trail last wrote (or read), and the statement inserts them and moves
   * the head only if the head is still there (`WHERE last_seq = … AND last_hash = …`). The head row is then
   * locked only inside the server, for that statement and its commit, never across a round trip
   * to this process. If another writer moved the head, or a key is already in the trail, the
   * statement changes nothing and the append is sealed again. When a checkpoint is due (it needs
   * the other writers' entries checked under the lock), or after repeated conflicts, the append
   * takes the locked path instead.
   */
  private async write(appends: readonly (readonly PreparedAuditEntry[])[]): Promise<AuditEntry[][]> {
    const existing = new Map<string, AuditEntry>();
    for (let attempt = 1; attempt <= OPTIMISTIC_ATTEMPTS; attempt++) {
      const head = this.knownHead ?? await readHead(this.pool, false);
      const sealed = await this.seal(appends, existing, head);
      if (sealed.fresh.length === 0) return sealed.results;
      if (this.checkpointDue(head, sealed.end.seq)) break;
      const outcome = await this.appendIfHeadAt(head, sealed);
      if (outcome === 'appended') return sealed.results;
      this.knownHead = undefined;
      if (outcome.length > 0) await this.lookUp(outcome, existing);
    }
    return this.writeWithLock(appends);
  }

  private async lookUp(keys: readonly string[], into: Map<string, AuditEntry>): Promise<void> {
    const { rows } = await this.pool.query<EntryRow>(`SELECT ${COLUMNS} FROM audit_entries WHERE entry_key = ANY($1::text[])`, [keys]);
    for (const row of rows) into.set(row.entry_key, entryOf(row));
  }

  /** The fast path's one statement. Resolves to 'appended', or to the keys already in the trail (none: the head moved). */
  private async appendIfHeadAt(head: Head, sealed: Sealed): Promise<'appended' | string[]> {
    const { fresh, end } = sealed;
    const column = <T>(pick: (entry: AuditEntry) => T) => fresh.map(pick);
    let rows: { inserted: string; duplicates: string[] | null; checkpoint_seq: string | null; checkpoint_at: Date | null }[];
    try {
      ({ rows } = await this.pool.query(
        `WITH duplicate AS (SELECT entry_key FROM audit_entries WHERE entry_key = ANY($2::text[])),
         moved AS (
           UPDATE audit_chain_head SET last_seq = $16::bigint, last_hash = $17::text
           WHERE last_seq = $18::bigint AND last_hash = $19::text AND NOT EXISTS (SELECT 1 FROM duplicate)
           RETURNING checkpoint_seq, checkpoint_at
         ), inserted AS (
           INSERT INTO audit_entries (${COLUMNS})
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                                $9::text[], $10::text[], $11::jsonb[], $12::text[], $13::text[], $14::text[], $15::text[])
           WHERE EXISTS (SELECT 1 FROM moved)
           RETURNING 1
         )
         SELECT (SELECT count(*) FROM inserted) AS inserted, (SELECT array_agg(entry_key) FROM duplicate) AS duplicates,
                (SELECT checkpoint_seq FROM moved) AS checkpoint_seq, (SELECT checkpoint_at FROM moved) AS checkpoint_at`,
        [column((e) => e.seq), column((e) => e.key), column((e) => e.at), column((e) => e.type), column((e) => e.operationId),
          column((e) => e.actor), column((e) => e.action), column((e) => e.resource), column((e) => e.outcome), column((e) => e.rule),
          column((e) => JSON.stringify(e.data)), column((e) => e.prevHash), column((e) => e.hash), column((e) => e.signature ?? null),
          column((e) => e.keyId ?? null), end.seq, end.hash, head.seq, head.hash]));
    } catch (error) {
      // A key inserted by another writer after this statement's snapshot: nothing was written.
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return fresh.map((entry) => entry.key);
      throw error;
    }
    const [row] = rows;
    if (Number(row.inserted) !== fresh.length) return row.duplicates ?? [];
    this.knownHead = { seq: end.seq, hash: end.hash, checkpointSeq: Number(row.checkpoint_seq), checkpointAt: row.checkpoint_at };
    for (const entry of fresh) this.remember(entry.hash);
    return 'appended';
  }

  /** Give each new entry its place after `head`, its hash and its signature; known keys get the stored entry. */
  private async seal(appends: readonly (readonly PreparedAuditEntry[])[], existing: ReadonlyMap<string, AuditEntry>, head: Head): Promise<Sealed> {
    let seq = head.seq;
    let prevHash = head.hash;
    const fresh: AuditEntry[] = [];
    const byKey = new Map(existing);
    const results = appends.map((entries) => entries.map((prepared) => {
      const found = byKey.get(prepared.key);
      if (found) return found;
      const entry: AuditEntry = sealAuditEntry(prepared, seq + 1, prevHash);
      seq = entry.seq;
      prevHash = entry.hash;
      byKey.set(entry.key, entry);
      fresh.push(entry);
      return entry;
    }));
    // Hashing is a chain, one after the other; the signatures are independent and go in parallel.
    if (this.privateKey && fresh.length > 0) {
      const signatures = await signEntryHashes(fresh.map((entry) => entry.hash), this.privateKey);
      fresh.forEach((entry, i) => Object.assign(entry, { signature: signatures[i], keyId: this.keyId }));
    }
    return { results, fresh, end: { seq, hash: prevHash } };
  }

  private checkpointDue(head: Head, endSeq: number, force = false): boolean {
    if (!this.privateKey || endSeq <= head.checkpointSeq) return false;
    if (this.untrustedFrom !== undefined && this.untrustedFrom > head.checkpointSeq) return false;
    return force || this.stale(head) || endSeq - head.checkpointSeq >= this.policy.everyEntries;
  }

  /** The last checkpoint is older than `everySeconds` (or there is none yet). */
  private stale(head: Head): boolean {
    return head.checkpointAt === null || this.now().getTime() - head.checkpointAt.getTime() >= this.policy.everySeconds * 1000;
  }

  /** The locked path: a transaction that holds the head row while it seals, checkpoints and writes. */
  private async writeWithLock(appends: readonly (readonly PreparedAuditEntry[])[]): Promise<AuditEntry[][]> {
    for (let attempt = 1; ; attempt++) {
      const keys = [...new Set(appends.flat().map((entry) => entry.key))];
      const existing = new Map<string, AuditEntry>();
      // Looked up before the lock: a retried activity is rare, the lock is precious.
      if (keys.length > 0) await this.lookUp(keys, existing);
      try {
        const { results, checkpoint } = await withTransaction(this.pool, (client) => this.writeLocked(client, appends, existing));
        if (checkpoint && this.sinks.length > 0) void this.anchor();
        return results;
      } catch (error) {
        this.knownHead = undefined;
        if (error instanceof KeyRace && attempt < KEY_RACE_ATTEMPTS) continue;
        if (error instanceof KeyRace) throw new AuditStoreError('audit append: another writer kept inserting the same entry keys; giving up after 5 attempts');
        throw error;
      }
    }
  }

  private async writeLocked(
    client: pg.PoolClient,
    appends: readonly (readonly PreparedAuditEntry[])[],
    existing: Map<string, AuditEntry>,
  ): Promise<{ results: AuditEntry[][]; checkpoint?: AuditCheckpoint }> {
    const head = await readHead(client, true);
    const { results, fresh, end } = await this.seal(appends, existing, head);
    const { seq, hash: prevHash } = end;
    const checkpoint = this.checkpointDue(head, seq) ? await this.checkpointFor(client, head, end) : undefined;
    if (fresh.length === 0 && !checkpoint) return { results };
    const column = <T>(pick: (entry: AuditEntry) => T) => fresh.map(pick);
    const { rows } = await client.query<{ inserted: string; checkpoint_seq: string; checkpoint_at: Date | null }>(
      `WITH inserted AS (
         INSERT INTO audit_entries (${COLUMNS})
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                              $9::text[], $10::text[], $11::jsonb[], $12::text[], $13::text[], $14::text[], $15::text[])
         ON CONFLICT (entry_key) DO NOTHING
         RETURNING 1
       ), moved AS (
         UPDATE audit_chain_head SET last_seq = $16::bigint, last_hash = $17::text,
           checkpoint_seq = COALESCE($18::bigint, checkpoint_seq), checkpoint_at = COALESCE($19::timestamptz, checkpoint_at)
         RETURNING checkpoint_seq, checkpoint_at
       ), signed AS (
         INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature)
         SELECT $18::bigint, $20::text, $19::timestamptz, $21::text, $22::text WHERE $18::bigint IS NOT NULL
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM inserted) AS inserted, (SELECT count(*) FROM signed) AS signed,
              (SELECT checkpoint_seq FROM moved) AS checkpoint_seq, (SELECT checkpoint_at FROM moved) AS checkpoint_at`,
      [column((e) => e.seq), column((e) => e.key), column((e) => e.at), column((e) => e.type), column((e) => e.operationId),
        column((e) => e.actor), column((e) => e.action), column((e) => e.resource), column((e) => e.outcome), column((e) => e.rule),
        column((e) => JSON.stringify(e.data)), column((e) => e.prevHash), column((e) => e.hash), column((e) => e.signature ?? null),
        column((e) => e.keyId ?? null), seq, prevHash, checkpoint?.seq ?? null, checkpoint?.at ?? null, checkpoint?.hash ?? null,
        checkpoint?.keyId ?? null, checkpoint?.signature ?? null]);
    // Fewer rows than entries: a writer outside the lock inserted one of these keys meanwhile.
    if (Number(rows[0].inserted) !== fresh.length) throw new KeyRace();
    for (const entry of fresh) this.remember(entry.hash);
    this.knownHead = { seq, hash: prevHash, checkpointSeq: Number(rows[0].checkpoint_seq), checkpointAt: rows[0].checkpoint_at };
    return { results, checkpoint };
  }

  private remember(hash: string): void {
    this.signedHere.add(hash);
    this.signedOrder.push(hash);
    const keep = 2 * this.policy.everyEntries + MAX_BATCH;
    while (this.signedOrder.length > keep) this.signedHere.delete(this.signedOrder.shift()!);
  }

  /**
   * The checkpoint a locked transaction writes once one is due (`checkpointDue`). Before
   * vouching for the entries since the last checkpoint, the writer checks the signatures of those
   * other writers made (its own it just signed): an entry slipped in by the database owner is
   * unsigned or signed with another key, and no checkpoint may cover it. Then the checkpoint stops
   * before it, and `verify` names it.
   */
  private async checkpointFor(client: pg.PoolClient, head: Head, end: { seq: number; hash: string }): Promise<AuditCheckpoint | undefined> {
    const now = this.now();
    let upTo = end;
    if (head.seq > head.checkpointSeq) {
      const { rows } = await client.query<{ seq: string; hash: string; signature: string | null; key_id: string | null }>(
        'SELECT seq, hash, signature, key_id FROM audit_entries WHERE seq > $1 AND seq <= $2 ORDER BY seq', [head.checkpointSeq, head.seq]);
      const others = rows.filter((row) => !this.signedHere.has(row.hash));
      const foreign = others.findIndex((row) => row.key_id !== this.keyId || row.signature === null);
      const checked = foreign < 0 ? others : others.slice(0, foreign);
      const invalid = await firstInvalidEntrySignature(checked, this.publicKey!);
      const bad = invalid >= 0 ? checked[invalid] : foreign >= 0 ? others[foreign] : undefined;
      if (bad) {
        const badSeq = Number(bad.seq);
        this.untrustedFrom = badSeq;
        this.log.error({ seq: badSeq }, `audit entry ${badSeq} does not carry a valid signature of the audit key: no checkpoint will cover it; run \`tollgate audit verify\``);
        if (badSeq - 1 <= head.checkpointSeq) return undefined;
        const before = rows.find((row) => Number(row.seq) === badSeq - 1)!;
        upTo = { seq: badSeq - 1, hash: before.hash };
      }
    }
    return signCheckpoint({ seq: upTo.seq, hash: upTo.hash, at: now.toISOString(), keyId: this.keyId! }, this.privateKey!);
  }

  /**
   * The periodic task: sign a checkpoint over entries appended since the last one if it is
   * older than `everySeconds` (so a quiet trail's tail is signed too), then send checkpoints
   * that have not reached every anchor sink yet. Call it every few seconds (`startAuditMaintenance`)
   * and once at shutdown.
   */
  async maintain(): Promise<{ checkpoint?: AuditCheckpoint }> {
    let checkpoint: AuditCheckpoint | undefined;
    if (this.privateKey) {
      const head = await readHead(this.pool, false);
      if (head.seq > head.checkpointSeq && this.stale(head)) checkpoint = await this.checkpoint();
    }
    await this.anchor();
    return checkpoint ? { checkpoint } : {};
  }

  /** Sign a checkpoint of the chain's end now, whatever the policy says (nothing when it is already covered). */
  async checkpoint(): Promise<AuditCheckpoint | undefined> {
    if (!this.privateKey) return undefined;
    const { checkpoint } = await withTransaction(this.pool, async (client) => {
      const head = await readHead(client, true);
      const made = this.checkpointDue(head, head.seq, true) ? await this.checkpointFor(client, head, { seq: head.seq, hash: head.hash }) : undefined;
      if (!made) return { checkpoint: undefined };
      await client.query(
        `WITH moved AS (UPDATE audit_chain_head SET checkpoint_seq = $1, checkpoint_at = $3 RETURNING 1)
         INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature) VALUES ($1, $2, $3, $4, $5)`,
        [made.seq, made.hash, made.at, made.keyId, made.signature]);
      return { checkpoint: made };
    });
    return checkpoint;
  }

  /** Checkpoints in seq order, from `after` on. */
  async checkpoints(after = 0, limit?: number): Promise<AuditCheckpoint[]> {
    const { rows } = await this.pool.query<{ seq: string; hash: string; at: Date; key_id: string; signature: string }>(
      `SELECT seq, hash, at, key_id, signature FROM audit_checkpoints WHERE seq > $1 ORDER BY seq${limit ? ` LIMIT ${Number(limit)}` : ''}`, [after]);
    return rows.map((row) => ({ seq: Number(row.seq), hash: row.hash, at: row.at.toISOString(), keyId: row.key_id, signature: row.signature }));
  }

  /**
   * Send every checkpoint that a sink has not acknowledged yet, in order, and move its cursor.
   * A sink that fails keeps its cursor (and the error, in `audit_anchor_cursors.last_error`) and
   * gets the same checkpoints again next time: entries and checkpoints are already safe in SQL.
   * Never throws for a sink's failure. One delivery per sink at a time in this process; two
   * processes may both deliver a checkpoint, which anchors tolerate (the same line twice).
   */
  async anchor(): Promise<void> {
    await Promise.all(this.sinks.map((sink) => {
      const previous = this.anchoring.get(sink.name) ?? Promise.resolve();
      const next = previous.then(() => this.anchorTo(sink));
      this.anchoring.set(sink.name, next);
      return next;
    }));
  }

  private async anchorTo(sink: AuditAnchorSink): Promise<void> {
    try {
      for (;;) {
        const { rows } = await this.pool.query<{ last_seq: string }>('SELECT last_seq FROM audit_anchor_cursors WHERE sink = $1', [sink.name]);
        const after = rows.length > 0 ? Number(rows[0].last_seq) : 0;
        const pending = await this.checkpoints(after, 500);
        if (pending.length === 0) return;
        try {
          await sink.write(pending);
        } catch (error) {
          const message = (error as Error).message ?? String(error);
          this.log.warn({ sink: sink.name, err: error, after }, 'audit anchor sink failed; its checkpoints stay in SQL and are sent again next time');
          await this.pool.query(
            `INSERT INTO audit_anchor_cursors (sink, last_seq, last_error, updated_at) VALUES ($1, $2, $3, now())
             ON CONFLICT (sink) DO UPDATE SET last_error = EXCLUDED.last_error, updated_at = now()`, [sink.name, after, message]);
          return;
        }
        await this.pool.query(
          `INSERT INTO audit_anchor_cursors (sink, last_seq, last_error, updated_at) VALUES ($1, $2, NULL, now())
           ON CONFLICT (sink) DO UPDATE SET last_seq = GREATEST(audit_anchor_cursors.last_seq, EXCLUDED.last_seq), last_error = NULL, updated_at = now()`,
          [sink.name, pending[pending.length - 1].seq]);
      }
    } catch (error) {
      this.log.warn({ sink: sink.name, err: error }, 'audit anchoring could not read or move its cursor; retried next time');
    }
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
    const { seq, hash } = await readHead(this.pool, false);
    return { seq, hash };
  }

  /**
   * Check the whole trail: every hash and link from the first entry to the head, that the table
   * ends where the head says, the signed checkpoints, the anchors given, and the signatures of
   * entries no checkpoint vouches for (TrailVerifier). Appends made while it runs are past the
   * head it read and are left for the next run. Reads page by page, outside a transaction, so it
   * never holds up appends.
   */
  async verify(options: AuditVerifyOptions = {}): Promise<ChainVerification> {
    const head = await readHead(this.pool, false);
    const checkpoints = (await this.checkpoints(0)).filter((checkpoint) => checkpoint.seq <= head.seq);
    const verifier = new TrailVerifier({ publicKey: options.publicKey ?? this.publicKey, checkpoints, anchors: options.anchors });
    for await (const rows of this.rawPages(head.seq)) {
      for (const row of rows) await verifier.addHashed(linkOf(row), hashRawEntry(rawEntryOf(row)));
    }
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
   * Every entry up to `to`, a page at a time, as verify needs them: `at` already as ISO text and
   * `data` as JSON text, parsed only for hashing (no Date objects, no full entries built). The next
   * page is fetched while the current one is checked.
   */
  private async *rawPages(to: number): AsyncGenerator<RawRow[]> {
    const page = (after: number) => this.pool.query<RawRow>(
      `SELECT seq, entry_key, ${ISO_AT} AS at, type, operation_id, actor, action, resource, outcome, rule, data::text AS data,
              prev_hash, hash, signature, key_id
       FROM audit_entries WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT ${PAGE}`, [after, to]);
    if (to < 1) return;
    let next = page(0);
    for (;;) {
      const { rows } = await next;
      if (rows.length === 0) return;
      const after = Number(rows[rows.length - 1].seq);
      next = after < to && rows.length === PAGE ? page(after) : Promise.resolve({ rows: [] as RawRow[] } as pg.QueryResult<RawRow>);
      yield rows;
    }
  }

  /**
   * Write a contiguous slice of the chain as JSONL, one entry per line with its hashes and
   * signature, so that `verifyJsonl` can check it offline. Honours backpressure; does not end `out`.
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

  /**
   * Entries from seq `from` to `to` inclusive, in order, a page at a time; the next page is
   * fetched while the caller works through the current one.
   */
  private async *walk(from: number, to: number): AsyncGenerator<AuditEntry> {
    const page = (after: number) => this.pool.query<EntryRow>(
      `SELECT ${COLUMNS} FROM audit_entries WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT ${PAGE}`, [after, to]);
    if (from > to) return;
    let next = page(from - 1);
    for (;;) {
      const { rows } = await next;
      if (rows.length === 0) return;
      const after = Number(rows[rows.length - 1].seq);
      next = after < to && rows.length === PAGE ? page(after) : Promise.resolve({ rows: [] as EntryRow[] } as pg.QueryResult<EntryRow>);
      for (const row of rows) yield entryOf(row);
    }
  }
}

/**
 * Run `trail.maintain()` every `intervalMs` (default 5 s) until stopped; `stop()` waits for a
 * run in progress and makes a last one, so a clean shutdown leaves the tail signed and anchored.
 * Failures are logged by the trail and retried on the next tick.
 */
export function startAuditMaintenance(trail: AuditTrail, options: { intervalMs?: number; logger?: Logger } = {}): { stop(): Promise<void> } {
  const log = options.logger ?? defaultLogger;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = running.then(() => trail.maintain()).catch((error: unknown) => log.warn({ err: error }, 'audit maintenance failed; retried next tick'));
    return running;
  };
  const timer = setInterval(tick, options.intervalMs ?? 5_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await tick();
    },
  };
}
