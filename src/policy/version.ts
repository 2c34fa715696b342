import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonicalJson.js';
import type { PolicySet } from './types.js';

/** A short content hash: equal for sets that parse to the same rules, whatever the key order or format. */
export function policyVersion(set: PolicySet): string {
  return createHash('sha256').update(canonicalJson(set)).digest('hex').slice(0, 12);
}
