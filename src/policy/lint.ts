import { compilePolicySet, type CompiledPolicySet, type CompiledRule, type SubjectMatcher } from './compile.js';
import { jsonEqual } from './context.js';
import type { GlobMatcher } from './glob.js';
import type { PolicyConstraint, PolicySet } from './types.js';

/**
 * Static checks OPA and Cedar do not offer. Every check is conservative: a finding is reported
 * only when it is certain (shadowing) or when a concrete request could show it (overlap).
 */
export type LintKind = 'shadowed' | 'priority_tie' | 'allow_broader_than_deny';

export interface LintFinding {
  kind: LintKind;
  /** The rule the finding is about, and where it is declared. */
  rule: string;
  path: string;
  related: string;
  message: string;
}

type Dimension = readonly GlobMatcher[] | null;

const WILDCARD = /[*?[\\]/;
const isStar = (m: GlobMatcher) => m.pattern === '*';
const tail = (pattern: string) => pattern.slice(0, -1);

/** Does glob `outer` match every string glob `inner` matches? (false when unsure) */
function patternCovers(outer: GlobMatcher, inner: GlobMatcher): boolean {
  if (isStar(outer) || outer.pattern === inner.pattern) return true;
  if (inner.literal !== null) return outer.test(inner.literal);
  if (outer.literal !== null) return false;
  const body = outer.pattern;
  if (body.endsWith('*') && !WILDCARD.test(tail(body))) return inner.prefix.startsWith(tail(body));
  if (body.startsWith('*') && !WILDCARD.test(body.slice(1))) return inner.suffix.endsWith(body.slice(1));
  if (body.startsWith('*') && body.endsWith('*') && body.length > 2 && !WILDCARD.test(body.slice(1, -1))) {
    const middle = body.slice(1, -1);
    return inner.prefix.includes(middle) || inner.suffix.includes(middle);
  }
  return false;
}

/** Could some string match both globs? (true when unsure) */
function patternsOverlap(a: GlobMatcher, b: GlobMatcher): boolean {
  if (a.literal !== null && b.literal !== null) return a.literal === b.literal;
  if (a.literal !== null) return b.test(a.literal);
  if (b.literal !== null) return a.test(b.literal);
  const prefixesAgree = a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix);
  const suffixesAgree = a.suffix.endsWith(b.suffix) || b.suffix.endsWith(a.suffix);
  return prefixesAgree && suffixesAgree;
}

function dimensionCovers(outer: Dimension, inner: Dimension): boolean {
  if (outer === null || outer.some(isStar)) return true;
  if (inner === null) return false;
  return inner.every((i) => outer.some((o) => patternCovers(o, i)));
}

function dimensionsOverlap(a: Dimension, b: Dimension): boolean {
  if (a === null || b === null) return true;
  return a.some((x) => b.some((y) => patternsOverlap(x, y)));
}

function subjectsCover(outer: readonly SubjectMatcher[] | null, inner: readonly SubjectMatcher[] | null): boolean {
  if (outer === null || outer.some((s) => s.pattern === '*')) return true;
  if (inner === null) return false;
  return inner.every((i) => outer.some((o) => o.pattern === i.pattern));
}

const isLiteralIdentifier = (s: SubjectMatcher) => !s.pattern.startsWith('role:') && !s.pattern.startsWith('tag:') && !WILDCARD.test(s.pattern);

function subjectsOverlap(a: readonly SubjectMatcher[] | null, b: readonly SubjectMatcher[] | null): boolean {
  if (a === null || b === null) return true;
  // Two lists of distinct literal identifiers can never name the same subject; anything else might.
  return !(a.every(isLiteralIdentifier) && b.every(isLiteralIdentifier) && !a.some((x) => b.some((y) => x.pattern === y.pattern)));
}

const constraintsOf = (rule: CompiledRule): readonly PolicyConstraint[] => rule.rule.constraints ?? [];

/** Every constraint of `outer` also constrains `inner`, so outer's conditions hold whenever inner's do. */
function constraintsCover(outer: CompiledRule, inner: CompiledRule): boolean {
  return constraintsOf(outer).every((c) => constraintsOf(inner).some((d) => jsonEqual(c, d)));
}

function constraintsContradict(a: CompiledRule, b: CompiledRule): boolean {
  for (const x of constraintsOf(a)) {
    for (const y of constraintsOf(b)) {
      if (x.key !== y.key) continue;
      if ('equals' in x && 'equals' in y && !jsonEqual(x.equals, y.equals)) return true;
      if ('equals' in x && 'notEquals' in y && jsonEqual(x.equals, y.notEquals)) return true;
      if ('notEquals' in x && 'equals' in y && jsonEqual(x.notEquals, y.equals)) return true;
      if (x.exists !== undefined && y.exists !== undefined && x.exists !== y.exists) return true;
    }
  }
  return false;
}

function covers(outer: CompiledRule, inner: CompiledRule): boolean {
  return dimensionCovers(outer.actions, inner.actions)
    && dimensionCovers(outer.resources, inner.resources)
    && subjectsCover(outer.subjects, inner.subjects)
    && constraintsCover(outer, inner);
}

function overlap(a: CompiledRule, b: CompiledRule): boolean {
  return dimensionsOverlap(a.actions, b.actions)
    && dimensionsOverlap(a.resources, b.resources)
    && subjectsOverlap(a.subjects, b.subjects)
    && !constraintsContradict(a, b);
}

/** Tests that fail on a missing value: a rule with one on key K never fires when K is missing. */
const failsWhenMissing = (c: PolicyConstraint) =>
  'equals' in c || c.anyOf !== undefined || c.exists === true || c.gt !== undefined || c.gte !== undefined
  || c.lt !== undefined || c.lte !== undefined || c.matches !== undefined;

const describe = (rule: CompiledRule) => `"${rule.rule.name}" (priority ${rule.rule.priority})`;
const where = (rule: CompiledRule) => `rules[${rule.declared}]`;

export function lintPolicySet(input: PolicySet | CompiledPolicySet): LintFinding[] {
  const compiled = 'rules' in input && 'actionIndex' in input ? input : compilePolicySet(input as PolicySet);
  const rules = compiled.rules;
  const findings: LintFinding[] = [];
  const add = (kind: LintKind, rule: CompiledRule, related: CompiledRule, message: string) =>
    findings.push({ kind, rule: rule.rule.name, path: where(rule), related: related.rule.name, message });

  for (let j = 0; j < rules.length; j++) {
    const later = rules[j];
    const shadow = rules.slice(0, j).find((earlier) => covers(earlier, later));
    if (shadow) {
      add('shadowed', later, shadow, `rule ${describe(later)} can never fire: ${describe(shadow)} comes first and matches every request it matches`);
      continue;
    }
    for (let i = 0; i < j; i++) {
      const earlier = rules[i];
      if (earlier.rule.priority === later.rule.priority && earlier.rule.effect !== later.rule.effect && overlap(earlier, later)) {
        add('priority_tie', later, earlier, `rules ${describe(earlier)} (${earlier.rule.effect}) and ${describe(later)} (${later.rule.effect}) share a priority and can match the same request, so only their order in the file decides; give them distinct priorities`);
      }
    }
  }

  // A conditional deny followed by an allow at least as broad: whenever the deny's conditions do
  // not hold, including when the context key is missing because an enricher did not run, the allow wins.
  for (let i = 0; i < rules.length; i++) {
    const deny = rules[i];
    if (deny.rule.effect !== 'deny' || deny.constraints === null) continue;
    for (let j = i + 1; j < rules.length; j++) {
      const allow = rules[j];
      if (allow.rule.effect !== 'allow') continue;
      if (!dimensionCovers(allow.actions, deny.actions) || !dimensionCovers(allow.resources, deny.resources) || !subjectsCover(allow.subjects, deny.subjects)) continue;
      // Keys whose absence switches the deny off; a deny written with notEquals/notAnyOf/exists:false
      // still fires when its key is missing, so it already fails closed on that key.
      const guardedKeys = [...new Set(constraintsOf(deny).filter(failsWhenMissing).map((c) => c.key))];
      if (guardedKeys.length === 0) continue;
      const allowAlsoNeedsThem = guardedKeys.every((key) => constraintsOf(allow).some((c) => c.key === key && failsWhenMissing(c)));
      if (allowAlsoNeedsThem) continue;
      add('allow_broader_than_deny', allow, deny, `allow rule ${describe(allow)} covers everything deny rule ${describe(deny)} above it covers; when ${guardedKeys.join(', ')} is missing or the deny's conditions fail, the allow lets the request through. Constrain the allow on ${guardedKeys.join(', ')} too, or make the deny unconditional`);
    }
  }
  return findings;
}
