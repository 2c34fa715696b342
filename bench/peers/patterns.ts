/**
 * The glob shapes the peers can express. Cedar's `like` knows only `*` (which, like ours, also
 * crosses `/` and `:`); casbin's `keyMatch` knows only a trailing `*`. Neither has `?`, `[...]`
 * or `\` escapes, so a translator refuses those rather than approximate them.
 */
export class UntranslatableRuleError extends Error {
  constructor(readonly engine: string, readonly rule: string, detail: string) {
    super(`${engine}: rule "${rule}" cannot be translated exactly: ${detail}`);
    this.name = 'UntranslatableRuleError';
  }
}

/** The literal runs between `*`s, or null when the pattern uses `?`, `[` or `\`. */
export function starPatternParts(pattern: string): string[] | null {
  if (/[?[\\]/.test(pattern)) return null;
  return pattern.split('*');
}

export const isLiteral = (pattern: string): boolean => !/[*?[\\]/.test(pattern);

/** A pattern made of literal runs and `*`, tested the way Tollgate tests it (whole string). */
export function starPatternTest(parts: readonly string[]): (value: string) => boolean {
  const source = parts.map((part) => part.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')).join('[\\s\\S]*');
  const regex = new RegExp(`^${source}$`);
  return (value) => regex.test(value);
}

/** Constraint keys the peers can read: a top-level context key that the merged context does not shadow. */
export function plainContextKey(key: string): boolean {
  return !key.includes('.') && key !== 'action' && key !== 'resource' && key !== 'subject';
}
