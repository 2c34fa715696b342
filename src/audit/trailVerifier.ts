import type { KeyObject } from 'node:crypto';
import { auditKeyId, checkpointSignatureValid, firstInvalidEntrySignature } from './signing.js';
import type { AnchorVerification, AuditCheckpoint, AuditEntry, ChainBreak, ChainVerification } from './types.js';
import { entryHash } from './hash.js';
import { ChainVerifier, type ChainLink } from './verify.js';

/** A checkpoint read back from an anchor, with where it was read (`file:line`). */
export interface AnchoredCheckpoint extends AuditCheckpoint {
  where: string;
}

export interface TrailVerifierOptions {
  /** The audit key's public half. Without it only hashes and links are checked. */
  publicKey?: KeyObject;
  /** Checkpoints stored in the database. */
  checkpoints?: readonly AuditCheckpoint[];
  /** Checkpoints read from anchors outside the database, and where from. */
  anchors?: { source: string; checkpoints: readonly AnchoredCheckpoint[] };
  /** The entry before the first one checked (see ChainVerifier); default: the genesis. */
  start?: ConstructorParameters<typeof ChainVerifier>[0];
}

/** A hash the chain must have at `seq`, and who says so. */
interface Expectation {
  seq: number;
  hash: string;
  /** Signed with the audit key (so the entries before it need no signature check of their own). */
  trusted: boolean;
  /** The anchor (file:line) it came from; unset for a checkpoint in the database. */
  anchor?: string;
  /** Why the chain disagrees: it has another hash there, or it ends at `endsAt` before it. */
  describe: (found: { hash: string } | { endsAt: number }) => string;
}

interface Buffered {
  seq: number;
  hash: string;
  signature?: string;
  keyId?: string;
}

/**
 * Signatures are checked one by one only where no verified checkpoint vouches for them; past this
 * many buffered entries they are checked as they come, so memory stays bounded when an attacker
 * deletes the checkpoints.
 */
const MAX_UNVOUCHED = 5_000;
const MAX_PROBLEMS = 20;

const short = (hash: string) => `${hash.slice(0, 12)}…`;

const anchorOf = (expectation: Expectation) => (expectation.anchor ? { anchor: expectation.anchor } : {});

const chainSays = (found: { hash: string } | { endsAt: number }, seq: number) => ('hash' in found
  ? `has ${short(found.hash)} at ${seq}`
  : `ends at ${found.endsAt}: entries ${found.endsAt + 1}..${seq} were deleted`);

/**
 * The whole check behind `tollgate audit verify`: the hash chain (ChainVerifier), the signed
 * checkpoints in the database, the anchors outside it, and the entry signatures.
 *
 * Every entry is re-hashed (an edit that leaves the stored hash shows there). Signatures make
 * the stored hashes trustworthy: a checkpoint whose signature verifies vouches for every entry up
 * to its seq (its writer checked their signatures before signing, see trail.ts), so entry
 * signatures are only checked after the last such checkpoint, and inside a stretch whose
 * checkpoint the chain no longer reaches, to name the first entry that was changed.
 *
 * The first broken place is the lowest entry found wrong; a checkpoint or anchor that disagrees
 * is named when no entry can be (no key to pinpoint with, or entries deleted from the end).
 */
export class TrailVerifier {
  private readonly chain: ChainVerifier;
  private readonly publicKey?: KeyObject;
  private readonly keyId?: string;
  private readonly expectations = new Map<number, Expectation[]>();
  private readonly problems: ChainBreak[] = [];
  private readonly entryProblems: ChainBreak[] = [];
  private unvouched: Buffered[] = [];
  /** The entries since the last checkpoint the chain reached: the tail, at the end. */
  private sinceVouched = { from: 0, entries: 0, signed: true };
  private validCheckpoints = 0;
  private lastCheckpoint?: { seq: number; at: string };
  private readonly checkpointAt = new Map<number, string>();
  private lastSeq = 0;
  private readonly anchorSummary?: AnchorVerification;

  constructor(options: TrailVerifierOptions = {}) {
    this.chain = new ChainVerifier(options.start);
    this.publicKey = options.publicKey;
    this.keyId = options.publicKey ? auditKeyId(options.publicKey) : undefined;
    const stored = new Map<number, AuditCheckpoint>();
    for (const checkpoint of options.checkpoints ?? []) {
      stored.set(checkpoint.seq, checkpoint);
      const trusted = this.trusts(checkpoint, `checkpoint ${checkpoint.seq}`);
      if (trusted) this.validCheckpoints++;
      this.checkpointAt.set(checkpoint.seq, checkpoint.at);
      this.expect({
        seq: checkpoint.seq,
        hash: checkpoint.hash,
        trusted,
        describe: (found) => `checkpoint ${checkpoint.seq} (signed ${checkpoint.at}) records hash ${short(checkpoint.hash)} at ${checkpoint.seq}, but the chain ${chainSays(found, checkpoint.seq)}`,
      });
    }
    if (options.anchors) {
      let lastSeq: number | undefined;
      for (const anchor of options.anchors.checkpoints) {
        lastSeq = Math.max(lastSeq ?? 0, anchor.seq);
        const trusted = this.trusts(anchor, `anchor ${anchor.where}`);
        if (trusted) this.checkpointAt.set(anchor.seq, anchor.at);
        this.expect({
          seq: anchor.seq,
          hash: anchor.hash,
          trusted,
          anchor: anchor.where,
          describe: (found) => `anchor ${anchor.where}: seq ${anchor.seq} hash ${short(anchor.hash)}, but the chain ${chainSays(found, anchor.seq)}`,
        });
        const kept = stored.get(anchor.seq);
        if (!kept || kept.hash !== anchor.hash) {
          this.problems.push({
            seq: anchor.seq,
            anchor: anchor.where,
            reason: `anchor ${anchor.where}: checkpoint ${anchor.seq} ${kept ? 'differs from the one in the database' : 'is missing from the database (deleted)'}`,
          });
        }
      }
      const anchored = new Set(options.anchors.checkpoints.map((anchor) => anchor.seq));
      this.anchorSummary = {
        source: options.anchors.source,
        read: options.anchors.checkpoints.length,
        ...(lastSeq === undefined ? {} : { lastSeq }),
        pending: [...stored.keys()].filter((seq) => !anchored.has(seq) && seq > (lastSeq ?? 0)).length,
      };
    }
  }

  /** Whether a checkpoint may be trusted: its signature verifies with the key. Records why not, when there is a key to say so. */
  private trusts(checkpoint: AuditCheckpoint & { where?: string }, what: string): boolean {
    if (!this.publicKey) return false;
    if (checkpoint.keyId === this.keyId && checkpointSignatureValid(checkpoint, this.publicKey)) return true;
    this.problems.push({
      seq: checkpoint.seq,
      ...(checkpoint.where ? { anchor: checkpoint.where } : {}),
      reason: checkpoint.keyId === this.keyId
        ? `${what}: its signature does not verify with the audit key ${this.keyId} (forged)`
        : `${what} is signed by key ${checkpoint.keyId}, not the audit key ${this.keyId} (forged, or signed with another key)`,
    });
    return false;
  }

  private expect(expectation: Expectation): void {
    const list = this.expectations.get(expectation.seq);
    if (list) list.push(expectation);
    else this.expectations.set(expectation.seq, [expectation]);
  }

  async add(entry: AuditEntry, line?: number): Promise<void> {
    await this.addHashed(entry, entryHash(entry), line);
  }

  /** `add` for an entry whose hash was recomputed elsewhere (on worker threads). */
  async addHashed(entry: ChainLink, recomputed: string, line?: number): Promise<void> {
    this.chain.addHashed(entry, recomputed, line);
    this.lastSeq = entry.seq;
    this.unvouched.push({ seq: entry.seq, hash: entry.hash, signature: entry.signature, keyId: entry.keyId });
    if (this.sinceVouched.entries === 0) this.sinceVouched.from = entry.seq;
    this.sinceVouched.entries++;
    if (entry.signature === undefined) this.sinceVouched.signed = false;
    const expected = this.expectations.get(entry.seq);
    if (expected) {
      let vouched = false;
      let disagreed = false;
      for (const expectation of expected) {
        if (expectation.hash === entry.hash) {
          // Without a key nothing is vouched for, but the tail still starts after the last checkpoint reached.
          if (expectation.trusted || !this.publicKey) vouched = true;
        } else {
          disagreed = true;
          this.problems.push({ seq: entry.seq, ...anchorOf(expectation), reason: expectation.describe({ hash: entry.hash }) });
        }
      }
      this.expectations.delete(entry.seq);
      if (disagreed) {
        await this.checkUnvouched();
      } else if (vouched) {
        this.unvouched = [];
        this.sinceVouched = { from: 0, entries: 0, signed: true };
        this.lastCheckpoint = { seq: entry.seq, at: this.checkpointAt.get(entry.seq) ?? '' };
      }
    }
    if (this.unvouched.length >= MAX_UNVOUCHED) await this.checkUnvouched();
  }

  /** Check the signatures of entries no checkpoint vouched for; record the first that fails. */
  private async checkUnvouched(): Promise<void> {
    const entries = this.unvouched;
    this.unvouched = [];
    if (!this.publicKey || entries.length === 0) return;
    const ours = entries.filter((entry) => entry.keyId === undefined || entry.keyId === this.keyId);
    let bad = entries.findIndex((entry) => entry.keyId !== undefined && entry.keyId !== this.keyId);
    const badOurs = await firstInvalidEntrySignature(ours, this.publicKey);
    if (badOurs >= 0 && (bad < 0 || ours[badOurs].seq < entries[bad].seq)) bad = entries.indexOf(ours[badOurs]);
    if (bad < 0) return;
    const entry = entries[bad];
    this.entryProblems.push({ seq: entry.seq, reason: this.describeBadSignature(entry) });
  }

  private describeBadSignature(entry: Buffered): string {
    if (!entry.signature) return `entry ${entry.seq} is unsigned: no holder of the audit key ${this.keyId} wrote it (inserted, or re-written without its signature)`;
    if (entry.keyId !== undefined && entry.keyId !== this.keyId) {
      return `entry ${entry.seq} is signed by key ${entry.keyId}, not the audit key ${this.keyId} (re-signed with another key, or verified with the wrong public key)`;
    }
    return `entry ${entry.seq} was altered, inserted or moved: its signature does not verify with the audit key ${this.keyId}`;
  }

  /** Record a break the entries alone cannot show (a line that does not parse, a head mismatch). */
  fail(problem: ChainBreak): void {
    this.chain.fail(problem);
  }

  get last(): { seq: number; hash: string } | undefined {
    return this.chain.last;
  }

  /** Finish: anchors and checkpoints beyond the end, the signatures of the tail. */
  async result(): Promise<ChainVerification> {
    await this.checkUnvouched();
    for (const [, list] of [...this.expectations].sort(([a], [b]) => a - b)) {
      for (const expectation of list) {
        this.problems.push({ seq: this.lastSeq + 1, ...anchorOf(expectation), reason: expectation.describe({ endsAt: this.lastSeq }) });
      }
    }
    const chain = this.chain.result();
    const entryBreaks = [...(chain.firstBroken ? [chain.firstBroken] : []), ...this.entryProblems];
    // At one seq, what an anchor says outranks what the database says about itself.
    const bySeq = (a: ChainBreak, b: ChainBreak) => a.seq - b.seq || Number(b.anchor !== undefined) - Number(a.anchor !== undefined);
    const all = [...entryBreaks, ...this.problems].sort(bySeq);
    const firstBroken = entryBreaks.sort(bySeq)[0] ?? this.problems.sort(bySeq)[0];
    const since = this.sinceVouched;
    const tail = since.entries > 0
      ? { from: since.from, to: this.lastSeq, entries: since.entries, signed: this.publicKey !== undefined && since.signed }
      : undefined;
    return {
      ...chain,
      ok: firstBroken === undefined,
      ...(firstBroken ? { firstBroken } : {}),
      signatures: {
        checked: this.publicKey !== undefined,
        ...(this.keyId ? { keyId: this.keyId } : {}),
        checkpoints: this.validCheckpoints,
        ...(this.lastCheckpoint ? { lastCheckpoint: this.lastCheckpoint } : {}),
        ...(tail ? { tail } : {}),
      },
      ...(this.anchorSummary ? { anchors: this.anchorSummary } : {}),
      ...(all.length > 0 ? { problems: all.slice(0, MAX_PROBLEMS) } : {}),
    };
  }
}
