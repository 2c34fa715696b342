import { z } from 'zod';
import { entryHash, GENESIS_HASH } from './hash.js';
import type { AuditEntry, ChainBreak, ChainVerification } from './types.js';

/** What the chain checks need of an entry once its contents are hashed. */
export type ChainLink = Pick<AuditEntry, 'seq' | 'prevHash' | 'hash' | 'signature' | 'keyId'>;

/**
 * Checks entries one at a time, in the order they claim, against the entry before:
 * - the position follows on (a skipped seq is a deleted entry, a repeated or lower one a reorder),
 * - the stored hash is the hash of the entry's own fields (else the row was edited),
 * - prev_hash is the previous entry's hash (else an entry was replaced or moved).
 * Only the first break is kept; checking goes on from the stored values so that `entries`
 * still counts the whole chain.
 */
export class ChainVerifier {
  private count = 0;
  private first?: { seq: number; prevHash: string };
  private previous?: { seq: number; hash: string };
  private broken?: ChainBreak;

  /**
   * @param start the entry before the first one checked: `{ seq: 0, hash: GENESIS_HASH }` for
   *   a whole chain (the default); `null` for a slice whose first entry is taken on trust
   *   (unless it is seq 1, which must start from the genesis hash).
   */
  constructor(start: { seq: number; hash: string } | null = { seq: 0, hash: GENESIS_HASH }) {
    this.previous = start ?? undefined;
  }

  get ok(): boolean {
    return this.broken === undefined;
  }

  /** Record a break that the entries alone cannot show (a bad line, a head mismatch). */
  fail(problem: ChainBreak): void {
    this.broken ??= problem;
  }

  add(entry: AuditEntry, line?: number): void {
    this.addHashed(entry, entryHash(entry), line);
  }

  /** `add` for an entry whose hash was recomputed elsewhere (verify hashes on worker threads). */
  addHashed(entry: ChainLink, recomputed: string, line?: number): void {
    this.count++;
    this.first ??= { seq: entry.seq, prevHash: entry.prevHash };
    const at = (seq: number, reason: string) => this.fail(line === undefined ? { seq, reason } : { seq, reason, line });
    const previous = this.previous ?? (entry.seq === 1 ? { seq: 0, hash: GENESIS_HASH } : undefined);
    if (previous) {
      const expected = previous.seq + 1;
      if (entry.seq > expected) {
        at(expected, expected === entry.seq - 1
          ? `entry ${expected} is missing (deleted): ${previous.seq} is followed by ${entry.seq}`
          : `entries ${expected}..${entry.seq - 1} are missing (deleted): ${previous.seq} is followed by ${entry.seq}`);
      } else if (entry.seq < expected) {
        at(entry.seq, `out of order: entry ${entry.seq} comes after ${previous.seq}`);
      }
    }
    if (recomputed !== entry.hash) {
      at(entry.seq, `entry ${entry.seq} was altered: its hash does not match its contents`);
    } else if (previous && entry.seq === previous.seq + 1 && entry.prevHash !== previous.hash) {
      at(entry.seq, `entry ${entry.seq} does not link to entry ${previous.seq}: prev_hash differs from that entry's hash (replaced or reordered)`);
    }
    this.previous = { seq: entry.seq, hash: entry.hash };
  }

  /** The last entry added. */
  get last(): { seq: number; hash: string } | undefined {
    return this.count > 0 ? this.previous : undefined;
  }

  result(): ChainVerification {
    return {
      ok: this.ok,
      entries: this.count,
      ...(this.first ? { first: this.first } : {}),
      ...(this.last ? { last: this.last } : {}),
      ...(this.broken ? { firstBroken: this.broken } : {}),
    };
  }
}

const nullableText = z.string().nullable();
/** One line of `tollgate audit export`. */
export const AuditEntryLineSchema = z.object({
  seq: z.number().int().positive(),
  key: z.string(),
  at: z.string(),
  type: z.string(),
  operationId: nullableText,
  actor: nullableText,
  action: nullableText,
  resource: nullableText,
  outcome: nullableText,
  rule: nullableText,
  data: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
  signature: z.string().optional(),
  keyId: z.string().optional(),
}).strict();

/** The JSONL form of an entry: one line, fields in a fixed order, no trailing newline. */
export function toJsonLine(entry: AuditEntry): string {
  const { seq, key, at, type, operationId, actor, action, resource, outcome, rule, data, prevHash, hash, signature, keyId } = entry;
  return JSON.stringify({ seq, key, at, type, operationId, actor, action, resource, outcome, rule, data, prevHash, hash, signature, keyId });
}
