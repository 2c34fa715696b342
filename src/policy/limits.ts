import { z } from 'zod';

/**
 * How much a caller may send (issue 10, "Glob backtracking"): every field of a request is bounded,
 * so one request cannot make evaluation, enrichment, redaction or the audit trail slow or huge.
 * PolicyRequestSchema (CLI, HTTP, cases) and OperationInputSchema (client and workflow) both use
 * these; README "Policies" lists them. The engine itself trusts its caller and checks nothing.
 */
export const REQUEST_LIMITS = Object.freeze({
  /** Characters in `action`. */
  actionLength: 256,
  /** Characters in `resource`, before canonicalisation. */
  resourceLength: 4096,
  /** Characters in `subject.identifier`. */
  identifierLength: 256,
  /** Entries in `subject.roles`. */
  roles: 256,
  /** Characters in one role. */
  roleLength: 256,
  /** UTF-8 bytes of `context` as JSON; the same bound applies to `subject.attributes` and `subject.tags`. */
  contextBytes: 64 * 1024,
  /** Nesting of objects and arrays in `context` (and in attributes and `operation.args`): `{a:{b:1}}` is 2. */
  depth: 16,
  /** UTF-8 bytes of `operation.args` as JSON. */
  argumentsBytes: 256 * 1024,
});

/** Longest `matches` pattern a policy may hold, and longest value a `matches` test reads (a longer one does not match). */
export const POLICY_LIMITS = Object.freeze({
  matchesPatternLength: 512,
  matchesValueLength: 4096,
});

const KiB = (bytes: number) => `${bytes / 1024} KiB`;

/** A string of at most `max` characters, with a message that says the limit and what to do. */
export function boundedString(max: number, fix: string) {
  return z.string().min(1, 'must not be empty').superRefine((value, context) => {
    if (value.length > max) context.addIssue({ code: 'custom', message: `is ${value.length} characters, more than the ${max} allowed; ${fix}` });
  });
}

/**
 * How deeply a value nests, counted without recursion (so a hostile 100,000-level object cannot
 * overflow the stack) and giving up just past `limit` (so a cycle ends too).
 */
function nestingDepth(root: unknown, limit: number): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[root, 0]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(value) ? value : Object.values(value)) stack.push([child, here]);
  }
  return deepest;
}

/** UTF-8 length without Buffer: the operation schemas also load inside Temporal's workflow sandbox. */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a surrogate pair is 4 bytes, two of them already counted
      i++;
    } else if (unit >= 0x800) bytes += 2;
    else if (unit >= 0x80) bytes += 1;
  }
  return bytes;
}

/** Add an issue when a JSON value nests deeper than `depth` or its JSON is larger than `maxBytes`. */
export function checkJsonBounds(value: unknown, maxBytes: number, depth: number, context: z.RefinementCtx): void {
  if (value === undefined) return;
  if (nestingDepth(value, depth) > depth) {
    context.addIssue({ code: 'custom', message: `nests deeper than ${depth} levels of objects and arrays; flatten it` });
    return;
  }
  const json = JSON.stringify(value) ?? '';
  const bytes = utf8Length(json);
  if (bytes > maxBytes) context.addIssue({ code: 'custom', message: `is ${bytes} bytes as JSON, more than the ${KiB(maxBytes)} allowed; send a reference (an id or URL) instead of the data` });
}

/** A JSON object whose size and nesting are within `maxBytes` and REQUEST_LIMITS.depth. */
export function boundedRecord<T extends z.ZodTypeAny>(values: T, maxBytes: number) {
  return z.record(z.string(), values).superRefine((value, context) => checkJsonBounds(value, maxBytes, REQUEST_LIMITS.depth, context));
}
