/**
 * Globs over action and resource strings (DESIGN.md "Policy semantics"): `*` matches any run of
 * characters including `/` and `:`, `?` exactly one character, `[abc]` / `[a-z]` / `[!a]` a class,
 * `\x` a literal x; everything else is literal and case-sensitive, matched against the whole string.
 *
 * picomatch was the first choice, but its path semantics contradict ours even with `bash: true`:
 * `?` never matches `/`, a lone `*` does not match the empty string, a leading `./` is stripped and
 * `..` segments are refused. Identifiers are not paths, so we compile our own, and the property tests
 * check it against picomatch where the two agree (strings with no `/` or `.`).
 */

export class GlobSyntaxError extends Error {
  constructor(readonly pattern: string, detail: string) {
    super(`invalid glob "${pattern}": ${detail}`);
    this.name = 'GlobSyntaxError';
  }
}

type Token = { kind: 'literal'; text: string } | { kind: 'star' } | { kind: 'one' } | { kind: 'class'; source: string };

export interface GlobMatcher {
  readonly pattern: string;
  /** The pattern has no wildcards: it matches exactly this string. */
  readonly literal: string | null;
  /** Characters every match starts with (used by the rule index). */
  readonly prefix: string;
  /** Characters every match ends with. */
  readonly suffix: string;
  test(value: string): boolean;
}

// Regexes use the `u` flag so that `?` is one character even outside the BMP (an emoji), and
// `u` refuses needless escapes, so text outside and inside a class is escaped differently.
const REGEX_SPECIAL = /[\\^$.*+?()[\]{}|/]/g;
const CLASS_SPECIAL = /[\\\]^[-]/g;
const escapeRegex = (text: string) => text.replace(REGEX_SPECIAL, '\\$&');
const escapeClass = (text: string) => text.replace(CLASS_SPECIAL, '\\$&');

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  let literal = '';
  const flush = () => {
    if (literal) tokens.push({ kind: 'literal', text: literal });
    literal = '';
  };
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '\\') {
      if (i + 1 >= pattern.length) throw new GlobSyntaxError(pattern, 'it ends with a lone "\\"; write "\\\\" for a backslash');
      literal += pattern[++i];
    } else if (char === '*') {
      flush();
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (char === '?') {
      flush();
      tokens.push({ kind: 'one' });
    } else if (char === '[') {
      const close = findClassEnd(pattern, i);
      if (close < 0) throw new GlobSyntaxError(pattern, `unclosed "[" at position ${i + 1}; write "\\[" for a literal bracket`);
      flush();
      tokens.push({ kind: 'class', source: classToRegex(pattern, pattern.slice(i + 1, close)) });
      i = close;
    } else {
      literal += char;
    }
  }
  flush();
  return tokens;
}

function findClassEnd(pattern: string, open: number): number {
  let i = open + 1;
  if (pattern[i] === '!' || pattern[i] === '^') i++;
  if (pattern[i] === ']') i++; // a leading ] is a member, as in POSIX
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === ']') return i;
  }
  return -1;
}

function classToRegex(pattern: string, body: string): string {
  let negate = false;
  if (body[0] === '!' || body[0] === '^') {
    negate = true;
    body = body.slice(1);
  }
  if (!body) throw new GlobSyntaxError(pattern, 'empty character class "[]"');
  let out = '';
  for (let i = 0; i < body.length; i++) {
    let char = body[i];
    if (char === '\\') char = body[++i] ?? '\\';
    if (body[i + 1] === '-' && i + 2 < body.length) {
      let end = body[i + 2];
      let skip = 2;
      if (end === '\\') { end = body[i + 3] ?? '\\'; skip = 3; }
      if (end < char) throw new GlobSyntaxError(pattern, `range "${char}-${end}" is out of order`);
      out += `${escapeClass(char)}-${escapeClass(end)}`;
      i += skip;
    } else {
      out += escapeClass(char);
    }
  }
  return `[${negate ? '^' : ''}${out}]`;
}

/** Compile a glob; throws GlobSyntaxError with a fix for malformed input. */
export function compileGlob(pattern: string): GlobMatcher {
  if (pattern.length === 0) throw new GlobSyntaxError(pattern, 'a pattern must not be empty; use "*" to match everything');
  const tokens = tokenize(pattern);
  const first = tokens[0];
  const last = tokens.at(-1)!;
  const prefix = first.kind === 'literal' ? first.text : '';
  const suffix = last.kind === 'literal' && tokens.length > 1 ? last.text : tokens.length === 1 ? prefix : '';
  const base = { pattern, prefix, suffix };

  // Shapes that need no regex: most real policies are made of these.
  if (tokens.length === 1 && first.kind === 'literal') {
    const text = first.text;
    return { ...base, literal: text, test: (value) => value === text };
  }
  if (tokens.length === 1 && first.kind === 'star') return { ...base, literal: null, test: () => true };
  const kinds = tokens.map((token) => token.kind).join(',');
  if (kinds === 'literal,star') return { ...base, literal: null, test: (value) => value.startsWith(prefix) };
  if (kinds === 'star,literal') return { ...base, literal: null, test: (value) => value.endsWith(suffix) };
  if (kinds === 'star,literal,star') {
    const middle = (tokens[1] as { text: string }).text;
    return { ...base, literal: null, test: (value) => value.includes(middle) };
  }
  if (kinds === 'literal,star,literal') {
    const minLength = prefix.length + suffix.length;
    return { ...base, literal: null, test: (value) => value.length >= minLength && value.startsWith(prefix) && value.endsWith(suffix) };
  }
  const source = tokens.map((token) => {
    switch (token.kind) {
      case 'literal': return escapeRegex(token.text);
      case 'star': return '[\\s\\S]*';
      case 'one': return '[\\s\\S]';
      case 'class': return token.source;
    }
  }).join('');
  const regex = new RegExp(`^${source}$`, 'u');
  return { ...base, literal: null, test: (value) => regex.test(value) };
}
