import type { PolicyRequest } from './types.js';

const hasOwn = Object.prototype.hasOwnProperty;
const EMPTY_LIST: readonly string[] = Object.freeze([]);
const EMPTY_RECORD = Object.freeze({});
const ARRAY_INDEX = /^(0|[1-9]\d*)$/;

/**
 * Look up a dotted key in the merged context `{ action, resource, subject, ...request.context }`
 * without building it: request context wins on clashes. Returns undefined for a missing value.
 */
export function lookup(request: PolicyRequest, segments: readonly string[]): unknown {
  const head = segments[0];
  const context = request.context;
  let value: unknown;
  if (context != null && hasOwn.call(context, head)) {
    value = context[head];
  } else if (head === 'action') {
    value = request.action;
  } else if (head === 'resource') {
    value = request.resource;
  } else if (head === 'subject') {
    const subject = request.subject;
    if (segments.length === 1) {
      return { identifier: subject.identifier, roles: subject.roles ?? EMPTY_LIST, attributes: subject.attributes ?? EMPTY_RECORD, tags: subject.tags ?? EMPTY_RECORD };
    }
    const field = segments[1];
    // The merged context always has roles/attributes/tags, even when the request left them out.
    if (field === 'identifier') value = subject.identifier;
    else if (field === 'roles') value = subject.roles ?? EMPTY_LIST;
    else if (field === 'attributes') value = subject.attributes ?? EMPTY_RECORD;
    else if (field === 'tags') value = subject.tags ?? EMPTY_RECORD;
    else return undefined;
    return valueAtPath(value, segments, 2);
  } else {
    return undefined;
  }
  return valueAtPath(value, segments, 1);
}

/**
 * The value at a path of keys in a JSON value, from `segments[from]` on: own keys of objects and
 * indices of arrays only, so `__proto__`, `constructor` or an array's `length` are never read.
 * Undefined when missing. The one dotted-path lookup (policy context, budget entities, error paths).
 */
export function valueAtPath(value: unknown, segments: readonly (string | number)[], from = 0): unknown {
  for (let i = from; i < segments.length; i++) {
    if (value === null || typeof value !== 'object') return undefined;
    const segment = String(segments[i]);
    // JSON arrays have indices, not a `length` key.
    if (Array.isArray(value) ? !ARRAY_INDEX.test(segment) || Number(segment) >= value.length : !hasOwn.call(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** Deep equality of JSON values (key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  for (const key of aKeys) {
    if (!hasOwn.call(b, key) || !jsonEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}
