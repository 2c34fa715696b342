/**
 * Redaction for anything Tollgate shows to people or stores, the audit trail included:
 * Slack messages, console notices, error details, audit entries. Request context is caller-supplied and
 * routinely carries credentials (an agent passes its tool's headers along), so approval
 * messages must never echo it verbatim.
 */

export const REDACTED = '[REDACTED]';

/** Keys whose values are secrets whatever they look like. */
export const SECRET_KEY = /token|secret|password|api[_-]?key|authorization|cookie|private[_-]?key|credential/i;

/**
 * Values that are secrets whatever key they sit under. Each is replaced in place so the
 * rest of a sentence ("failed with Bearer …") stays readable.
 */
const SECRET_VALUE_PATTERNS: readonly [RegExp, string][] = [
  // Slack bot/app/user/refresh tokens and app-level tokens.
  [/\bxox[abpr]-[A-Za-z0-9-]+/g, REDACTED],
  [/\bxapp-[A-Za-z0-9-]+/g, REDACTED],
  // RFC 6750 bearer credentials, as found in copied Authorization headers.
  [/\b(Bearer)\s+[A-Za-z0-9\-._~+/]+=*/gi, `$1 ${REDACTED}`],
  // AWS access key ids (long-term AKIA, temporary ASIA).
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, REDACTED],
];

/** Redact secret-looking substrings of one string. */
export function redactString(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_VALUE_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * A key that names a secret. A number under a key that only matches because it says
 * "token" is a token count (`max_tokens`, `prompt_tokens`), which approvers need to see;
 * real tokens are strings.
 */
function isSecretEntry(key: string, value: unknown): boolean {
  if (!SECRET_KEY.test(key)) return false;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    const withoutToken = key.replace(/tokens?/gi, '');
    return SECRET_KEY.test(withoutToken);
  }
  return true;
}

/**
 * A deep copy of `value` with secrets replaced by `[REDACTED]`: values under secret-named
 * keys, and Slack tokens, bearer tokens and AWS key ids inside any string. Never mutates
 * its input; cycles become `[Circular]`; class instances other than Date/Array/plain
 * objects are reduced to their string form so nothing escapes through a custom toJSON.
 */
export function redact<T>(value: T): T {
  return redactValue(value, new WeakSet()) as T;
}

function redactValue(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return new Date(value.getTime());
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => redactValue(item, seen));
    if (value instanceof Error) return redactString(`${value.name}: ${value.message}`);
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return redactString(String(value));
    const out: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) {
      out[key] = isSecretEntry(key, entry) ? REDACTED : redactValue(entry, seen);
    }
    return out;
  } finally {
    // Shared (non-cyclic) references may legitimately appear twice in a tree.
    seen.delete(value);
  }
}
