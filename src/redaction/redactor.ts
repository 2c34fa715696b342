/**
 * One redaction policy for every sink. Pure and deterministic (no Node modules, clocks or
 * randomness) so that workflow code can redact its status view and error messages with it too.
 */
import { TollgateInputError } from '../errors.js';
import { REDACTED } from './marker.js';
import { configuredKeyRule, defaultKeyRules, keyForms, type SecretKeyRule } from './keys.js';
import { DEFAULT_SECRET_PATTERNS, MAY_HOLD_DEFAULT_SECRET, isCardNumber, type SecretPattern } from './patterns.js';
import { compileUserRegex } from './userRegex.js';

export interface RedactionOptions {
  /**
   * Key names or regular expressions whose values are secret, added to the defaults. A plain name
   * (`session_id`) matches those words of a key (`sessionId`, `x-session-id`); anything else is a
   * regular expression tested against the key, ignoring case (`^x-internal-`).
   */
  readonly keys?: readonly string[];
  /** Regular expressions (source, or `/source/flags`) for secret values, added to the defaults; each match becomes [REDACTED]. */
  readonly patterns?: readonly string[];
}

export interface Redactor {
  /**
   * A deep copy of `value` with secrets replaced by [REDACTED]: values under secret-named keys, and
   * secret-shaped substrings of every string. Never mutates its input; cycles become [Circular];
   * class instances other than Date are reduced to their (redacted) string form, so nothing escapes
   * through a custom toJSON.
   */
  redact<T>(value: T): T;
  /** Replace secret-shaped substrings of one string, keeping the rest readable. */
  redactString(text: string): string;
  /** Whether a string under this key is withheld whatever it looks like. */
  isSecretKey(key: string): boolean;
}

export interface RedactionIssue {
  /** Where in the `redaction` config: `['patterns', 2]`. */
  path: (string | number)[];
  message: string;
}

export class RedactionConfigError extends TollgateInputError {
  constructor(readonly issues: RedactionIssue[]) {
    const first = issues[0];
    super(`redaction.${first.path[0]}[${first.path[1]}]: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`, 'redaction');
    this.name = 'RedactionConfigError';
  }
}

/** Nested deeper than this, a value is withheld rather than walked: the walk recurses. */
export const MAX_REDACTION_DEPTH = 64;
export const TOO_DEEP = '[Nested too deep]';

/** Key lookups repeat (every audit entry has the same keys); remember this many answers. */
const KEY_CACHE_SIZE = 4096;
const CACHEABLE_KEY_LENGTH = 128;

/** The problems in `options`, each naming its entry; what the config schema reports. */
export function redactionIssues(options: RedactionOptions): RedactionIssue[] {
  return compileOptions(options).issues;
}

export function createRedactor(options: RedactionOptions = {}): Redactor {
  const { keyRules, patterns, issues } = compileOptions(options);
  if (issues.length > 0) throw new RedactionConfigError(issues);

  const keyCache = new Map<string, SecretKeyRule | null>();
  const ruleFor = (key: string): SecretKeyRule | null => {
    const cached = keyCache.get(key);
    if (cached !== undefined) return cached;
    const forms = keyForms(key);
    const rule = keyRules.find((candidate) => candidate.matches(forms)) ?? null;
    if (key.length <= CACHEABLE_KEY_LENGTH) {
      if (keyCache.size >= KEY_CACHE_SIZE) keyCache.clear();
      keyCache.set(key, rule);
    }
    return rule;
  };

  const redactString = (text: string): string => {
    let out = text;
    const first = MAY_HOLD_DEFAULT_SECRET.test(text) ? 0 : DEFAULT_SECRET_PATTERNS.length;
    for (let i = first; i < patterns.length; i += 1) out = out.replace(patterns[i].regex, patterns[i].replace as (match: string, ...groups: string[]) => string);
    return out;
  };

  const walk = (value: unknown, seen: WeakSet<object>, depth: number): unknown => {
    switch (typeof value) {
      case 'string':
        return redactString(value);
      case 'number':
        return Number.isInteger(value) && isCardNumber(String(value)) ? REDACTED : value;
      case 'bigint':
        return isCardNumber(value.toString()) ? REDACTED : value;
      case 'object':
        break;
      default:
        return value;
    }
    if (value === null) return null;
    if (value instanceof Date) return new Date(value.getTime());
    if (seen.has(value)) return '[Circular]';
    if (depth >= MAX_REDACTION_DEPTH) return TOO_DEEP;
    seen.add(value);
    try {
      if (Array.isArray(value)) return value.map((item) => walk(item, seen, depth + 1));
      if (value instanceof Error) return redactString(`${value.name}: ${value.message}`);
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return redactString(printable(value));
      const out: Record<string, unknown> = {};
      for (const [key, entry] of Object.entries(value)) {
        const rule = ruleFor(key);
        const redacted = rule ? withheld(rule, entry, () => walk(entry, seen, depth + 1)) : walk(entry, seen, depth + 1);
        // Assigning `__proto__` would set the copy's prototype (or be dropped): keep it as data.
        if (key === '__proto__') Object.defineProperty(out, key, { value: redacted, enumerable: true, writable: true, configurable: true });
        else out[key] = redacted;
      }
      return out;
    } finally {
      // Shared (non-cyclic) references may legitimately appear twice in a tree.
      seen.delete(value);
    }
  };

  return {
    redact: <T>(value: T): T => walk(value, new WeakSet(), 0) as T,
    redactString,
    isSecretKey: (key: string) => ruleFor(key) !== null,
  };
}

/**
 * The value under a secret key. Booleans and null say nothing secret (`password_set: true`); a
 * number is a count under a key such as `max_tokens` or `auth_age_minutes`, which approvers need,
 * but is the secret itself under `pin`, `cvv` or `password`.
 */
function withheld(rule: SecretKeyRule, value: unknown, walkValue: () => unknown): unknown {
  if (value === null || value === undefined || typeof value === 'boolean') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return rule.numbersAreSecret ? REDACTED : walkValue();
  return REDACTED;
}

function printable(value: object): string {
  try {
    return String(value);
  } catch {
    return '[Unprintable]';
  }
}

function compileOptions(options: RedactionOptions): { keyRules: SecretKeyRule[]; patterns: SecretPattern[]; issues: RedactionIssue[] } {
  const issues: RedactionIssue[] = [];
  const keyRules = defaultKeyRules();
  const patterns = [...DEFAULT_SECRET_PATTERNS];
  (options.keys ?? []).forEach((entry, index) => {
    const compiled = typeof entry === 'string' ? configuredKeyRule(entry) : { ok: false as const, message: 'must be a string' };
    if (compiled.ok) keyRules.push(compiled.rule);
    else issues.push({ path: ['keys', index], message: compiled.message });
  });
  (options.patterns ?? []).forEach((entry, index) => {
    const compiled = typeof entry === 'string' ? compileUserRegex(entry, 'g') : { ok: false as const, message: 'must be a string' };
    if (!compiled.ok) {
      issues.push({ path: ['patterns', index], message: compiled.message });
    } else if (new RegExp(compiled.regex.source, compiled.regex.flags.replace('g', '')).test('')) {
      issues.push({ path: ['patterns', index], message: `${JSON.stringify(entry)} matches the empty string, so it would redact between every character; make it match at least one character` });
    } else {
      // A pattern may still match an empty string mid-text (a lookahead): leave those places alone.
      patterns.push({ name: `redaction.patterns[${index}]`, regex: compiled.regex, replace: (match) => (match === '' ? match : REDACTED) });
    }
  });
  return { keyRules, patterns, issues };
}
