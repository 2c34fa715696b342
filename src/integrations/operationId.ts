import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonicalJson.js';

/**
 * An operation id that the same call always gets: a retry, a reconnect or a resumed graph then finds
 * the operation it started instead of starting (and perhaps running) a second one. The parts are
 * hashed, so ids stay within OPERATION_ID's alphabet and length whatever the parts contain.
 */
export function derivedOperationId(prefix: string, parts: unknown): string {
  return `${prefix}-${createHash('sha256').update(canonicalJson(parts)).digest('hex').slice(0, 40)}`;
}
