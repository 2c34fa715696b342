import { compileGlob, type GlobMatcher } from './glob.js';
import { jsonEqual, lookup } from './context.js';
import { POLICY_LIMITS } from './limits.js';
import { policyVersion } from './version.js';
import type { PolicyConstraint, PolicyDecision, PolicyRequest, PolicyRule, PolicySet, PolicySubject } from './types.js';

const hasOwn = Object.prototype.hasOwnProperty;

export interface SubjectMatcher {
  readonly pattern: string;
  test(subject: PolicySubject): boolean;
}

export interface ValueCheck {
  readonly test: string;
  readonly expected: unknown;
  holds(value: unknown): boolean;
}

export interface CompiledConstraint {
  readonly key: string;
  readonly segments: readonly string[];
  readonly checks: readonly ValueCheck[];
}

export interface CompiledRule {
  readonly rule: PolicyRule;
  /** Position in evaluation order (ascending priority, then declaration order). */
  readonly rank: number;
  /** Index in the set as written, for messages that point at `rules[i]`. */
  readonly declared: number;
  readonly actions: readonly GlobMatcher[] | null;
  readonly resources: readonly GlobMatcher[] | null;
  readonly subjects: readonly SubjectMatcher[] | null;
  /** The subjects list as one test: literal roles and identifiers in hash sets, globs after. */
  readonly subjectTest: ((subject: PolicySubject) => boolean) | null;
  readonly constraints: readonly CompiledConstraint[] | null;
  /** Returned as is by evaluate: decisions are immutable, so a hit allocates nothing. */
  readonly decision: PolicyDecision;
}

export interface CompiledPolicySet {
  readonly set: PolicySet;
  readonly version: string;
  readonly rules: readonly CompiledRule[];
  readonly defaultDecision: PolicyDecision;
  readonly actionIndex: CandidateIndex;
  readonly resourceIndex: CandidateIndex;
  /** The first segment of every constraint key: which context values the set can ever read. */
  readonly contextKeys: ReadonlySet<string>;
}

function compileSubject(pattern: string): SubjectMatcher {
  if (pattern.startsWith('role:')) {
    const glob = compileGlob(pattern.slice(5));
    return {
      pattern,
      test(subject) {
        const roles = subject.roles;
        if (!roles) return false;
        for (let i = 0; i < roles.length; i++) if (glob.test(roles[i])) return true;
        return false;
      },
    };
  }
  if (pattern.startsWith('tag:')) {
    const body = pattern.slice(4);
    const eq = body.indexOf('=');
    if (eq < 0) return { pattern, test: (subject) => subject.tags != null && hasOwn.call(subject.tags, body) };
    const key = body.slice(0, eq);
    const glob = compileGlob(body.slice(eq + 1));
    return {
      pattern,
      test: (subject) => subject.tags != null && hasOwn.call(subject.tags, key) && typeof subject.tags[key] === 'string' && glob.test(subject.tags[key]),
    };
  }
  const glob = compileGlob(pattern);
  return { pattern, test: (subject) => glob.test(subject.identifier) };
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** One check per test in the constraint; missing values (undefined) follow DESIGN.md. */
export function compileConstraint(constraint: PolicyConstraint): CompiledConstraint {
  const checks: ValueCheck[] = [];
  const add = (test: string, expected: unknown, holds: (value: unknown) => boolean) => checks.push({ test, expected, holds });
  if ('equals' in constraint) {
    const expected = constraint.equals;
    add('equals', expected, (v) => v !== undefined && jsonEqual(v, expected));
  }
  if ('notEquals' in constraint) {
    const expected = constraint.notEquals;
    add('notEquals', expected, (v) => v === undefined || !jsonEqual(v, expected));
  }
  if (constraint.anyOf) {
    const options = constraint.anyOf;
    add('anyOf', options, (v) => v !== undefined && options.some((option) => jsonEqual(v, option)));
  }
  if (constraint.notAnyOf) {
    const options = constraint.notAnyOf;
    add('notAnyOf', options, (v) => v === undefined || !options.some((option) => jsonEqual(v, option)));
  }
  if (constraint.exists !== undefined) {
    const expected = constraint.exists;
    add('exists', expected, (v) => (v !== undefined) === expected);
  }
  if (constraint.gt !== undefined) { const n = constraint.gt; add('gt', n, (v) => isNumber(v) && v > n); }
  if (constraint.gte !== undefined) { const n = constraint.gte; add('gte', n, (v) => isNumber(v) && v >= n); }
  if (constraint.lt !== undefined) { const n = constraint.lt; add('lt', n, (v) => isNumber(v) && v < n); }
  if (constraint.lte !== undefined) { const n = constraint.lte; add('lte', n, (v) => isNumber(v) && v <= n); }
  if (constraint.matches !== undefined) {
    const glob = compileGlob(constraint.matches);
    // Context values are bounded only by the context's total size, so bound the work of one test too.
    const longest = POLICY_LIMITS.matchesValueLength;
    add('matches', constraint.matches, (v) => typeof v === 'string' && v.length <= longest && glob.test(v));
  }
  return { key: constraint.key, segments: constraint.key.split('.'), checks };
}

export function anyMatches(matchers: readonly GlobMatcher[] | null, value: string): boolean {
  if (matchers === null) return true;
  for (let i = 0; i < matchers.length; i++) if (matchers[i].test(value)) return true;
  return false;
}

const GLOB_CHARS = /[*?[\\]/;

/** Literal `role:x` and identifiers become set lookups; only globs and tags stay closures. */
function compileSubjectTest(patterns: readonly string[]): (subject: PolicySubject) => boolean {
  const roles = new Set<string>();
  const identifiers = new Set<string>();
  const others: SubjectMatcher[] = [];
  for (const pattern of patterns) {
    if (pattern.startsWith('role:') && !GLOB_CHARS.test(pattern.slice(5))) roles.add(pattern.slice(5));
    else if (!pattern.startsWith('role:') && !pattern.startsWith('tag:') && !GLOB_CHARS.test(pattern)) identifiers.add(pattern);
    else others.push(compileSubject(pattern));
  }
  return (subject) => {
    if (identifiers.size > 0 && identifiers.has(subject.identifier)) return true;
    const subjectRoles = subject.roles;
    if (roles.size > 0 && subjectRoles) {
      for (let i = 0; i < subjectRoles.length; i++) if (roles.has(subjectRoles[i])) return true;
    }
    for (let i = 0; i < others.length; i++) if (others[i].test(subject)) return true;
    return false;
  };
}

export function subjectMatches(matchers: readonly SubjectMatcher[] | null, subject: PolicySubject): boolean {
  if (matchers === null) return true;
  for (let i = 0; i < matchers.length; i++) if (matchers[i].test(subject)) return true;
  return false;
}

/** The first check of the constraint that fails, or null when it holds. */
export function failingCheck(constraint: CompiledConstraint, request: PolicyRequest): { check: ValueCheck; value: unknown } | null {
  const value = lookup(request, constraint.segments);
  const checks = constraint.checks;
  for (let i = 0; i < checks.length; i++) if (!checks[i].holds(value)) return { check: checks[i], value };
  return null;
}

export function ruleMatches(rule: CompiledRule, request: PolicyRequest): boolean {
  if (!anyMatches(rule.actions, request.action)) return false;
  if (!anyMatches(rule.resources, request.resource)) return false;
  return subjectAndConstraintsHold(rule, request);
}

/** The part of a match that depends on more than the action and resource. */
export function subjectAndConstraintsHold(rule: CompiledRule, request: PolicyRequest): boolean {
  if (rule.subjectTest !== null && !rule.subjectTest(request.subject)) return false;
  const constraints = rule.constraints;
  if (constraints !== null) {
    // Not failingCheck: this is the hot path, and a failure must not allocate its explanation.
    for (let i = 0; i < constraints.length; i++) {
      const constraint = constraints[i];
      const value = lookup(request, constraint.segments);
      const checks = constraint.checks;
      for (let j = 0; j < checks.length; j++) if (!checks[j].holds(value)) return false;
    }
  }
  return true;
}

interface TrieNode {
  children: Map<number, TrieNode>;
  ranks: number[];
}

/**
 * Which rules can match a given action (or resource)? Literal patterns go into a hash map,
 * patterns with a literal prefix into a character trie, and the rest (`*...`, no list) into
 * a list that every value gets. Answers are cached per value, so a hot path allocates nothing.
 */
export class CandidateIndex {
  private readonly exact = new Map<string, number[]>();
  private readonly trie: TrieNode = { children: new Map(), ranks: [] };
  private readonly everywhere: number[] = [];
  private readonly cache = new Map<string, readonly number[]>();
  private static readonly CACHE_LIMIT = 20_000;

  add(rank: number, matchers: readonly GlobMatcher[] | null): void {
    if (matchers === null) {
      this.everywhere.push(rank);
      return;
    }
    for (const matcher of matchers) {
      if (matcher.literal !== null) {
        const list = this.exact.get(matcher.literal);
        if (list) list.push(rank);
        else this.exact.set(matcher.literal, [rank]);
      } else if (matcher.prefix === '') {
        this.everywhere.push(rank);
      } else {
        let node = this.trie;
        for (let i = 0; i < matcher.prefix.length; i++) {
          const code = matcher.prefix.charCodeAt(i);
          let next = node.children.get(code);
          if (!next) node.children.set(code, (next = { children: new Map(), ranks: [] }));
          node = next;
        }
        node.ranks.push(rank);
      }
    }
  }

  candidates(value: string): readonly number[] {
    const cached = this.cache.get(value);
    if (cached !== undefined) return cached;
    const lists: number[][] = [];
    if (this.everywhere.length) lists.push(this.everywhere);
    const exact = this.exact.get(value);
    if (exact) lists.push(exact);
    let node: TrieNode | undefined = this.trie;
    for (let i = 0; i < value.length && node; i++) {
      node = node.children.get(value.charCodeAt(i));
      if (node && node.ranks.length) lists.push(node.ranks);
    }
    const merged = lists.length === 1 ? lists[0] : mergeSorted(lists);
    if (this.cache.size >= CandidateIndex.CACHE_LIMIT) this.cache.clear();
    this.cache.set(value, merged);
    return merged;
  }
}

/** Union of ascending rank lists, ascending and without repeats. */
function mergeSorted(lists: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  const positions = new Array<number>(lists.length).fill(0);
  for (;;) {
    let smallest = Infinity;
    for (let i = 0; i < lists.length; i++) {
      const value = lists[i][positions[i]];
      if (value !== undefined && value < smallest) smallest = value;
    }
    if (smallest === Infinity) return out;
    out.push(smallest);
    for (let i = 0; i < lists.length; i++) if (lists[i][positions[i]] === smallest) positions[i]++;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function memoize<T>(make: (key: string) => T): (key: string) => T {
  const made = new Map<string, T>();
  return (key) => {
    let value = made.get(key);
    if (value === undefined) made.set(key, (value = make(key)));
    return value;
  };
}

const nonEmpty = <T, U>(list: readonly T[] | undefined, map: (item: T) => U): U[] | null =>
  list && list.length > 0 ? list.map(map) : null;

/** Compile once: globs to matchers, rules into evaluation order, and the candidate indexes. */
export function compilePolicySet(set: PolicySet): CompiledPolicySet {
  const version = policyVersion(set);
  const ordered = set.rules
    .map((rule, declared) => ({ rule, declared }))
    .sort((a, b) => a.rule.priority - b.rule.priority || a.declared - b.declared);
  const actionIndex = new CandidateIndex();
  const resourceIndex = new CandidateIndex();
  // Large sets repeat the same patterns across rules; matchers are immutable, so compile each once.
  const glob = memoize(compileGlob);
  const subject = memoize(compileSubject);
  const subjectTest = memoize((key: string) => compileSubjectTest(JSON.parse(key) as string[]));
  const rules = ordered.map(({ rule, declared }, rank): CompiledRule => {
    const compiled: CompiledRule = {
      rule,
      rank,
      declared,
      actions: nonEmpty(rule.actions, glob),
      resources: nonEmpty(rule.resources, glob),
      subjects: nonEmpty(rule.subjects, subject),
      subjectTest: rule.subjects && rule.subjects.length > 0 ? subjectTest(JSON.stringify(rule.subjects)) : null,
      constraints: nonEmpty(rule.constraints, compileConstraint),
      decision: deepFreeze({
        effect: rule.effect,
        rule: rule.name,
        reason: rule.description ?? null,
        metadata: rule.metadata === undefined ? {} : structuredClone(rule.metadata),
        policySet: set.name,
        policyVersion: version,
      }),
    };
    actionIndex.add(rank, compiled.actions);
    resourceIndex.add(rank, compiled.resources);
    return compiled;
  });
  const defaultDecision: PolicyDecision = deepFreeze({
    effect: set.defaultEffect,
    rule: null,
    reason: `no rule matched; the policy set's default effect (${set.defaultEffect}) applies`,
    metadata: {},
    policySet: set.name,
    policyVersion: version,
  });
  const contextKeys = new Set(set.rules.flatMap((rule) => (rule.constraints ?? []).map((c) => c.key.split('.')[0])));
  return { set, version, rules, defaultDecision, actionIndex, resourceIndex, contextKeys };
}
