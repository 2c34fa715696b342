import { z } from 'zod';
import { redact, redactString } from '../redact.js';
import { didYouMean } from '../suggest.js';
import { InvalidAuditEntryError } from './errors.js';
import { entryHash } from './hash.js';
import { AUDIT_ENTRY_TYPES, type AuditEntry, type AuditEntryInput, type AuditEntryType, type UnsealedAuditEntry } from './types.js';

/** An entry ready to join the chain: validated, redacted, JSON-shaped; only its place is missing. */
export type PreparedAuditEntry = Omit<UnsealedAuditEntry, 'seq' | 'prevHash'>;

type TextField = 'operationId' | 'actor' | 'action' | 'resource' | 'outcome' | 'rule';

interface TypeRule {
  /** Fields that must be present and non-empty. */
  requires?: readonly TextField[];
  /** The values `outcome` may take. */
  outcomes?: readonly string[];
  /** Keys `data` must carry, with their JSON type. */
  data?: Readonly<Record<string, 'number' | 'string'>>;
}

/**
 * What each type must carry, so that readers (compliance reports, the CLI) can rely on it.
 * Everything else is free: `data` may carry more keys than listed.
 */
const TYPE_RULES: Record<AuditEntryType, TypeRule> = {
  policy_decision: { requires: ['operationId', 'actor', 'action', 'resource', 'outcome'], outcomes: ['allow', 'deny', 'require_approval'] },
  approval_requested: { requires: ['operationId'], data: { required: 'number', deadline: 'string' } },
  approval_vote: { requires: ['operationId', 'actor', 'outcome'], outcomes: ['approve', 'reject'] },
  approval_refused: { requires: ['operationId', 'actor', 'outcome'], outcomes: ['approve', 'reject'], data: { reason: 'string' } },
  approval_escalated: { requires: ['operationId'] },
  approval_decision: { requires: ['operationId', 'outcome'], outcomes: ['approved', 'rejected', 'expired', 'cancelled'] },
  operation_started: { requires: ['operationId'] },
  operation_completed: { requires: ['operationId'], outcomes: ['completed'] },
  operation_failed: { requires: ['operationId'], outcomes: ['failed'], data: { error: 'string' } },
  operation_cancelled: { requires: ['operationId'], outcomes: ['cancelled'] },
  budget_reserved: { requires: ['operationId'], data: { amount: 'number' } },
  budget_committed: { requires: ['operationId'], data: { amount: 'number' } },
  budget_released: { requires: ['operationId'], data: { amount: 'number' } },
  budget_adjusted: { requires: ['operationId'], data: { amount: 'number' } },
  budget_alert: { data: { level: 'string', entity: 'string', threshold: 'number' } },
  approval_granted: { requires: ['operationId', 'actor'], data: { grantId: 'string', scope: 'string', expiresAt: 'string' } },
  grant_revoked: { requires: ['actor'], data: { grantId: 'string' } },
  approver_token_created: { requires: ['actor'], data: { tokenId: 'string', identifier: 'string' } },
  approver_token_revoked: { requires: ['actor'], data: { tokenId: 'string' } },
  policy_shadow_divergence: { requires: ['operationId', 'outcome'], outcomes: ['allow', 'deny', 'require_approval'] },
  policy_loaded: { requires: ['actor'], data: { role: 'string', version: 'string' } },
  rollout_changed: { requires: ['actor'], data: { percentage: 'number' } },
  budget_overrun: { requires: ['operationId', 'outcome'], outcomes: ['recorded', 'unpaid'], data: { reported: 'number', charged: 'number' } },
  budget_limit_set: { requires: ['actor', 'outcome'], outcomes: ['override', 'config'], data: { level: 'string', entity: 'string' } },
};

const text = z.string().nullable().optional();
const InputSchema = z.object({
  key: z.string().min(1).max(500),
  type: z.string(),
  at: z.union([z.date(), z.string()]).optional(),
  operationId: text,
  actor: text,
  action: text,
  resource: text,
  outcome: text,
  rule: text,
  data: z.record(z.string(), z.unknown()).optional(),
}).strict();

const REPLACEMENT = '\uFFFD';

/**
 * Postgres text and jsonb cannot hold NUL, and jsonb refuses unpaired surrogates. Both are
 * replaced before hashing, so that what is hashed is exactly what the database gives back.
 */
function storableString(value: string): string {
  return value.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, REPLACEMENT);
}

/** A JSON value that survives a jsonb round trip unchanged (what JSON.stringify would keep). */
function jsonValue(value: unknown): unknown {
  if (typeof value === 'string') return storableString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? (Object.is(value, -0) ? 0 : value) : null;
  if (typeof value === 'boolean' || value === null) return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) return value.map((item) => jsonValue(item) ?? null);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) {
      const converted = jsonValue(entry);
      if (converted !== undefined) out[storableString(key)] = converted;
    }
    return out;
  }
  // undefined, functions, symbols: dropped, as JSON.stringify drops them.
  return undefined;
}

function storableText(value: string | null | undefined): string | null {
  return value === undefined || value === null ? null : storableString(redactString(value));
}

function timestamp(at: Date | string | undefined, now: () => Date): string {
  const date = at === undefined ? now() : at instanceof Date ? at : new Date(at);
  if (Number.isNaN(date.getTime())) throw new InvalidAuditEntryError(`audit entry at: "${String(at)}" is not a timestamp`, 'at');
  return date.toISOString();
}

export function isAuditEntryType(type: string): type is AuditEntryType {
  return (AUDIT_ENTRY_TYPES as readonly string[]).includes(type);
}

/**
 * Validate an entry, redact secrets from `data` (and secret-looking substrings of its text
 * fields) and bring it to the JSON shape that is hashed and stored. The hash covers the
 * redacted form: the secret never reaches the database, nor anything derived from it.
 */
export function prepareAuditEntry(input: AuditEntryInput, now: () => Date = () => new Date()): PreparedAuditEntry {
  const parsed = InputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map(String).join('.') || 'entry';
    throw new InvalidAuditEntryError(`audit entry ${path}: ${issue.message}`, path);
  }
  const entry = parsed.data;
  const where = `audit entry ${entry.key} (${entry.type})`;
  if (!isAuditEntryType(entry.type)) {
    throw new InvalidAuditEntryError(
      `${where}: unknown type "${entry.type}"${didYouMean(entry.type, AUDIT_ENTRY_TYPES)} (one of ${AUDIT_ENTRY_TYPES.join(', ')})`, 'type');
  }
  const rule = TYPE_RULES[entry.type];
  for (const field of rule.requires ?? []) {
    if (!entry[field]) throw new InvalidAuditEntryError(`${where}: ${field} is required`, field);
  }
  if (rule.outcomes && entry.outcome != null && !rule.outcomes.includes(entry.outcome)) {
    throw new InvalidAuditEntryError(
      `${where}: outcome "${entry.outcome}"${didYouMean(entry.outcome, rule.outcomes)} (one of ${rule.outcomes.join(', ')})`, 'outcome');
  }
  const data = jsonValue(redact(entry.data ?? {})) as Record<string, unknown>;
  for (const [key, kind] of Object.entries(rule.data ?? {})) {
    if (typeof data[key] !== kind) throw new InvalidAuditEntryError(`${where}: data.${key} must be a ${kind}`, `data.${key}`);
  }
  return {
    key: storableString(entry.key),
    at: timestamp(entry.at, now),
    type: entry.type,
    operationId: entry.operationId == null ? null : storableString(entry.operationId),
    actor: storableText(entry.actor),
    action: storableText(entry.action),
    resource: storableText(entry.resource),
    outcome: storableText(entry.outcome),
    rule: storableText(entry.rule),
    data,
  };
}

/** Give a prepared entry its place in the chain and its hash. */
export function sealAuditEntry(entry: PreparedAuditEntry, seq: number, prevHash: string): AuditEntry {
  const unsealed: UnsealedAuditEntry = { seq, ...entry, prevHash };
  return { ...unsealed, hash: entryHash(unsealed) };
}
