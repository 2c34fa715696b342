/**
 * Regular expressions that come from configuration. Every string Tollgate redacts may come from a
 * caller, and the worker redacts on its only thread, so a pattern that backtracks badly would let one
 * request stall every operation: refuse the classic shape of that (a repeated group that itself
 * repeats) along with patterns that do not compile.
 */

export const MAX_PATTERN_LENGTH = 1000;

export type CompiledRegex = { ok: true; regex: RegExp } | { ok: false; message: string };

/**
 * `source` is a regular expression's source (`ghx_[A-Za-z0-9]{30,}`) or a literal with flags
 * (`/internal-[a-z]+/i`); `flags` are always added (`g` to replace every match, `i` for key names).
 */
export function compileUserRegex(source: string, flags: string): CompiledRegex {
  if (source.length === 0) return { ok: false, message: 'is empty; give a regular expression or remove the entry' };
  if (source.length > MAX_PATTERN_LENGTH) {
    return { ok: false, message: `is ${source.length} characters long; the limit is ${MAX_PATTERN_LENGTH}` };
  }
  const literal = /^\/(.+)\/([a-z]*)$/s.exec(source);
  const body = literal ? literal[1] : source;
  const ownFlags = literal ? literal[2] : '';
  const unsupported = [...ownFlags].filter((flag) => !'imsu'.includes(flag));
  if (unsupported.length > 0) {
    return { ok: false, message: `${JSON.stringify(source)} has unsupported flag(s) ${unsupported.join('')}; use i, m, s or u` };
  }
  const nested = nestedRepetition(body);
  if (nested) {
    return {
      ok: false,
      message: `${JSON.stringify(source)} repeats a group that itself repeats (${nested}), which can take exponential time on a long string; rewrite it without the nested repetition`,
    };
  }
  try {
    return { ok: true, regex: new RegExp(body, [...new Set(flags + ownFlags)].join('')) };
  } catch (error) {
    return { ok: false, message: `${JSON.stringify(source)} does not compile: ${(error as Error).message}; fix the regular expression` };
  }
}

/**
 * The first repeated group that contains a variable-length repetition (`(a+)+`, `(\w*x)*`,
 * `(?:[a-z]?,){2,}`), or null. Such a group can split one run of input in exponentially many ways.
 * A syntactic check: it does not catch every slow pattern (overlapping alternatives such as `(a|a)*`
 * pass), and it refuses some safe ones (`(?:\.\d+)*`; write `[.\d]*`), but it refuses the shape
 * behind most catastrophic backtracking.
 */
export function nestedRepetition(source: string): string | null {
  // One frame per open group: where it starts and whether anything inside it varies in length.
  const groups: { start: number; variable: boolean }[] = [];
  let inClass = false;
  for (let i = 0; i < source.length; i += 1) {
    const char = source[i];
    if (char === '\\') {
      i += 1;
      continue;
    }
    if (inClass) {
      if (char === ']') inClass = false;
      continue;
    }
    if (char === '[') {
      inClass = true;
    } else if (char === '(') {
      groups.push({ start: i, variable: false });
      i += groupPrefixLength(source, i + 1);
    } else if (char === ')') {
      const group = groups.pop();
      if (!group) continue;
      const after = quantifierAt(source, i + 1);
      if (group.variable && after.repeats) return source.slice(group.start, i + 1 + after.length);
      if (groups.length > 0 && (group.variable || after.variable)) groups[groups.length - 1].variable = true;
      i += after.length;
    } else if (char === '|') {
      // Alternatives of different lengths vary too: (a|bc)+ is ambiguous in the same way.
      if (groups.length > 0) groups[groups.length - 1].variable = true;
    } else {
      const quantifier = quantifierAt(source, i);
      if (quantifier.length > 0) {
        if (groups.length > 0 && quantifier.variable) groups[groups.length - 1].variable = true;
        i += quantifier.length - 1;
      }
    }
  }
  return null;
}

/** The length of `?:`, `?=`, `?!`, `?<=`, `?<!` or `?<name>` after a group's `(`, so its `?` is not taken for a quantifier. */
function groupPrefixLength(source: string, i: number): number {
  if (source[i] !== '?') return 0;
  if (source[i + 1] !== '<') return 2;
  if (source[i + 2] === '=' || source[i + 2] === '!') return 3;
  const close = source.indexOf('>', i);
  return close === -1 ? 2 : close - i + 1;
}

/** The quantifier at `i`: its length, whether it allows more than one repetition, and whether its count varies. */
function quantifierAt(source: string, i: number): { length: number; repeats: boolean; variable: boolean } {
  const char = source[i];
  if (char === '*' || char === '+') return { length: source[i + 1] === '?' ? 2 : 1, repeats: true, variable: true };
  if (char === '?') return { length: source[i + 1] === '?' ? 2 : 1, repeats: false, variable: true };
  if (char === '{') {
    const braces = /^\{(\d+)(,(\d*))?\}\??/.exec(source.slice(i, i + 32));
    if (braces) {
      const min = Number(braces[1]);
      const max = braces[2] === undefined ? min : braces[3] === '' ? Infinity : Number(braces[3]);
      return { length: braces[0].length, repeats: max > 1, variable: max !== min };
    }
  }
  return { length: 0, repeats: false, variable: false };
}
