import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonicalJson.js';
import type { UnsealedAuditEntry } from './types.js';

export { canonicalJson };

/** The prev_hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

const text = (value: string | null) => (value === null ? 'null' : JSON.stringify(value));

/**
 * The entry's hash: sha256 over the canonical JSON of all its fields, its position (`seq`)
 * and the previous entry's hash included, so that an edit, a removal or a move each change it.
 *
 * The top-level fields are fixed, so they are written here in canonicalJson's (sorted) order
 * rather than sorted again for every entry: `verify` hashes every entry of the trail, and this is
 * most of its time. The result is byte for byte `canonicalJson` of the same object
 * (test/unit/audit/hash.test.ts holds them equal).
 */
export function entryHash(entry: UnsealedAuditEntry): string {
  const json = `{"action":${text(entry.action)},"actor":${text(entry.actor)},"at":${JSON.stringify(entry.at)},"data":${canonicalJson(entry.data)}`
    + `,"key":${JSON.stringify(entry.key)},"operationId":${text(entry.operationId)},"outcome":${text(entry.outcome)}`
    + `,"prevHash":${JSON.stringify(entry.prevHash)},"resource":${text(entry.resource)},"rule":${text(entry.rule)}`
    + `,"seq":${JSON.stringify(entry.seq)},"type":${JSON.stringify(entry.type)}}`;
  return createHash('sha256').update(json, 'utf8').digest('hex');
}

/**
 * An entry's hashed fields as `verify` reads them from the database, `data` still JSON text:
 * [seq, key, at, type, operationId, actor, action, resource, outcome, rule, data, prevHash].
 */
export type RawEntry = [number, string, string, string, string | null, string | null, string | null, string | null,
  string | null, string | null, string, string];

export function hashRawEntry([seq, key, at, type, operationId, actor, action, resource, outcome, rule, data, prevHash]: RawEntry): string {
  return entryHash({ seq, key, at, type, operationId, actor, action, resource, outcome, rule, data: JSON.parse(data) as Record<string, unknown>, prevHash });
}
