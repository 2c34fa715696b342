import { createHash } from 'node:crypto';
import type { UnsealedAuditEntry } from './types.js';

/** The prev_hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * JSON with object keys sorted at every level and no whitespace: the same value always gives
 * the same text, whatever order its keys were built in or jsonb returned them in.
 * Values must already be JSON-shaped (see normalise.ts).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    // undefined, functions and symbols have no JSON form; normalisation removes them first.
    if (text === undefined) throw new TypeError(`canonicalJson: ${typeof value} is not a JSON value`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
}

/**
 * The entry's hash: sha256 over the canonical JSON of all its fields, its position (`seq`)
 * and the previous entry's hash included, so that an edit, a removal or a move each change it.
 */
export function entryHash(entry: UnsealedAuditEntry): string {
  const hashed: Record<keyof UnsealedAuditEntry, unknown> = {
    seq: entry.seq,
    key: entry.key,
    at: entry.at,
    type: entry.type,
    operationId: entry.operationId,
    actor: entry.actor,
    action: entry.action,
    resource: entry.resource,
    outcome: entry.outcome,
    rule: entry.rule,
    data: entry.data,
    prevHash: entry.prevHash,
  };
  return createHash('sha256').update(canonicalJson(hashed), 'utf8').digest('hex');
}
