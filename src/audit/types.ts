/** The audit trail's vocabulary: what one entry says, before and after it joins the chain. */

/**
 * Entry types Tollgate writes, one per step of a governed operation (DESIGN.md steps 2-8).
 * The column is open text so that a newer writer's types still verify and query in an older
 * reader; `append` only accepts these.
 */
export const AUDIT_ENTRY_TYPES = [
  'policy_decision',
  'approval_requested',
  'approval_vote',
  'approval_refused',
  'approval_escalated',
  'approval_decision',
  'operation_started',
  'operation_completed',
  'operation_failed',
  'operation_cancelled',
  'budget_reserved',
  'budget_committed',
  'budget_released',
  'budget_adjusted',
  'budget_alert',
  'approval_granted',
  'grant_revoked',
  'approver_token_created',
  'approver_token_revoked',
  'policy_shadow_divergence',
  'policy_loaded',
  'rollout_changed',
  'budget_overrun',
  'budget_limit_set',
] as const;
export type AuditEntryType = (typeof AUDIT_ENTRY_TYPES)[number];

/** What a caller appends. `key` makes the append idempotent: the same key is the same entry. */
export interface AuditEntryInput {
  key: string;
  type: AuditEntryType;
  /** When it happened; default: when it is appended. */
  at?: Date | string;
  operationId?: string | null;
  /** Who acted: the requesting subject, the approver, `system` for timeouts. */
  actor?: string | null;
  action?: string | null;
  resource?: string | null;
  /** A policy decision's effect, a vote's decision, an approval's or an operation's outcome. */
  outcome?: string | null;
  rule?: string | null;
  /** Type-specific detail (entries.ts documents it per type); secrets are redacted before storage. */
  data?: Record<string, unknown>;
}

/** The hashed fields of an entry: everything but its own hash. */
export interface UnsealedAuditEntry {
  seq: number;
  key: string;
  /** ISO 8601, millisecond precision, UTC. */
  at: string;
  /** A known AuditEntryType for entries this version wrote; any string for others. */
  type: string;
  operationId: string | null;
  actor: string | null;
  action: string | null;
  resource: string | null;
  outcome: string | null;
  rule: string | null;
  data: Record<string, unknown>;
  /** Hash of the entry before (seq - 1); GENESIS_HASH for seq 1. */
  prevHash: string;
}

/** An entry in the chain, as stored, queried and exported. */
export interface AuditEntry extends UnsealedAuditEntry {
  /** sha256 (hex) of the canonical JSON of every other field, prevHash included. */
  hash: string;
  /** Ed25519 signature (base64) of the audit key over `hash`; absent when the writer held no key. */
  signature?: string;
  /** `auditKeyId` of the key that signed it. */
  keyId?: string;
}

/**
 * A signed statement that the chain had `hash` at `seq` at time `at`: what the database owner
 * cannot forge, stored in SQL and copied to anchors outside the database.
 */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  /** ISO 8601, UTC: when it was signed. */
  at: string;
  keyId: string;
  /** Ed25519 signature (base64) over the other four fields (signing.ts). */
  signature: string;
}

/**
 * A place outside the database that keeps checkpoints (anchors.ts): an append-only file, a Slack
 * channel, object storage under a retention lock. `write` gets checkpoints in seq order, each
 * at least once (after a failure, again); it resolves once they are durable there.
 */
export interface AuditAnchorSink {
  /** Stable name: the anchoring cursor is kept per sink under this name. */
  readonly name: string;
  write(checkpoints: readonly AuditCheckpoint[]): Promise<void>;
}

export interface AuditQuery {
  operationId?: string;
  type?: string | readonly string[];
  actor?: string;
  /** At or after. */
  since?: Date;
  /** At or before. */
  until?: Date;
  /** The latest `limit` matches (still returned oldest first); default: all. */
  limit?: number;
}

/** An export is a contiguous slice of the chain, so that it verifies offline on its own. */
export interface AuditExportFilter {
  /** From the first entry at or after this time, and everything appended after it. */
  since?: Date;
  /** Up to the last entry at or before this time. */
  until?: Date;
}

export interface AuditExportResult {
  entries: number;
  firstSeq: number | null;
  lastSeq: number | null;
}

export interface ChainBreak {
  /** The first entry that is wrong or missing. */
  seq: number;
  reason: string;
  /** 1-based line of a JSONL export, when verifying one. */
  line?: number;
  /** The anchor (file:line) that the chain no longer reaches, when that is the finding. */
  anchor?: string;
}

/** What the signature and anchor checks found, beside the chain's own check. */
export interface SignatureVerification {
  /** False when no public key was available: only the hash chain was checked. */
  checked: boolean;
  keyId?: string;
  /** Checkpoints in the database whose signature verifies. */
  checkpoints: number;
  /** The last checkpoint that verifies and that the chain reaches. */
  lastCheckpoint?: { seq: number; at: string };
  /** Entries after the last checkpoint (signed one by one, or not at all). */
  tail?: { from: number; to: number; entries: number; signed: boolean };
}

export interface AnchorVerification {
  /** Where the anchors were read from. */
  source: string;
  /** Anchor lines read (each a checkpoint). */
  read: number;
  /** The highest anchored seq. */
  lastSeq?: number;
  /** Checkpoints in the database not yet copied to these anchors (anchoring lags or failed). */
  pending: number;
}

export interface ChainVerification {
  ok: boolean;
  /** Entries read. */
  entries: number;
  /** Where the verified stretch starts: seq 1 and GENESIS_HASH for a whole chain. */
  first?: { seq: number; prevHash: string };
  /** The last entry read: record its hash elsewhere to anchor the chain. */
  last?: { seq: number; hash: string };
  firstBroken?: ChainBreak;
  /** Set when the signatures were considered (database verification, or an export with a key). */
  signatures?: SignatureVerification;
  anchors?: AnchorVerification;
  /** Every finding, first first (at most 20): forged checkpoints beside the first bad entry, say. */
  problems?: ChainBreak[];
}
