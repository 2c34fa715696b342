import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonicalJson.js';
import type { UnsealedAuditEntry } from './types.js';

export { canonicalJson };

/** The prev_hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

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
