import { createHash } from 'node:crypto';
import type { PolicySet } from './types.js';

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A short content hash: equal for sets that parse to the same rules, whatever the key order or format. */
export function policyVersion(set: PolicySet): string {
  return createHash('sha256').update(canonicalJson(set)).digest('hex').slice(0, 12);
}
