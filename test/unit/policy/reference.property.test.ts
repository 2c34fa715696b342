/**
 * The compiled engine (glob fast paths, candidate index, per-value caches, lookup without building the
 * merged context) against a deliberately simple reference evaluator written from DESIGN.md
 * "Policy semantics", on random policy sets and requests.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parsePolicySet, PolicyEngine, type PolicyRequest } from '../../../src/index.js';

// ---------------------------------------------------------------------------------------------
// Reference evaluator: no index, no caches, no shortcuts.
// ---------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface RefConstraint {
  key: string;
  equals?: Json;
  notEquals?: Json;
  anyOf?: Json[];
  notAnyOf?: Json[];
  exists?: boolean;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  matches?: string;
}
interface RefRule {
  name: string;
  effect: string;
  priority?: number;
  actions?: string[];
  resources?: string[];
  subjects?: string[];
  constraints?: RefConstraint[];
}
interface RefSet {
  name: string;
  defaultEffect?: string;
  rules: RefRule[];
}

/** Glob -> RegExp, one character at a time: `*` any run, `?` one character, everything else literal. */
function refGlob(pattern: string): RegExp {
  let source = '';
  for (const char of pattern) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}
const globMatches = (pattern: string, value: string) => refGlob(pattern).test(value);

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
const refEqual = (a: unknown, b: unknown) => canonical(a) === canonical(b);

/** Dotted get over JSON values: own keys of objects, indexes of arrays; anything else is missing. */
function dottedGet(root: unknown, key: string): unknown {
  let value = root;
  for (const segment of key.split('.')) {
    if (Array.isArray(value)) {
      if (!/^\d+$/.test(segment) || Number(segment) >= value.length) return undefined;
      value = value[Number(segment)];
    } else if (value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, segment)) {
      value = (value as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return value;
}

function constraintHolds(c: RefConstraint, merged: Record<string, unknown>): boolean {
  const v = dottedGet(merged, c.key);
  const missing = v === undefined;
  const num = typeof v === 'number';
  if ('equals' in c && (missing || !refEqual(v, c.equals))) return false;
  if ('notEquals' in c && !missing && refEqual(v, c.notEquals)) return false;
  if (c.anyOf !== undefined && (missing || !c.anyOf.some((o) => refEqual(v, o)))) return false;
  if (c.notAnyOf !== undefined && !missing && c.notAnyOf.some((o) => refEqual(v, o))) return false;
  if (c.exists !== undefined && c.exists === missing) return false;
  if (c.gt !== undefined && !(num && (v as number) > c.gt)) return false;
  if (c.gte !== undefined && !(num && (v as number) >= c.gte)) return false;
  if (c.lt !== undefined && !(num && (v as number) < c.lt)) return false;
  if (c.lte !== undefined && !(num && (v as number) <= c.lte)) return false;
  if (c.matches !== undefined && !(typeof v === 'string' && globMatches(c.matches, v))) return false;
  return true;
}

function subjectPatternMatches(pattern: string, subject: PolicyRequest['subject']): boolean {
  if (pattern.startsWith('role:')) return (subject.roles ?? []).some((role) => globMatches(pattern.slice(5), role));
  if (pattern.startsWith('tag:')) {
    const body = pattern.slice(4);
    const eq = body.indexOf('=');
    const tags = subject.tags ?? {};
    if (eq < 0) return Object.prototype.hasOwnProperty.call(tags, body);
    const key = body.slice(0, eq);
    return Object.prototype.hasOwnProperty.call(tags, key) && globMatches(body.slice(eq + 1), tags[key]);
  }
  return globMatches(pattern, subject.identifier);
}

const listMatches = (list: string[] | undefined, test: (pattern: string) => boolean) => !list || list.length === 0 || list.some(test);

function referenceEvaluate(set: RefSet, request: PolicyRequest): { effect: string; rule: string | null } {
  const { subject } = request;
  const merged: Record<string, unknown> = {
    action: request.action,
    resource: request.resource,
    subject: { identifier: subject.identifier, roles: subject.roles ?? [], attributes: subject.attributes ?? {}, tags: subject.tags ?? {} },
    ...request.context,
  };
  const ordered = set.rules
    .map((rule, index) => ({ rule, index }))
    .sort((a, b) => (a.rule.priority ?? 100) - (b.rule.priority ?? 100) || a.index - b.index);
  for (const { rule } of ordered) {
    if (!listMatches(rule.actions, (p) => globMatches(p, request.action))) continue;
    if (!listMatches(rule.resources, (p) => globMatches(p, request.resource))) continue;
    if (!listMatches(rule.subjects, (p) => subjectPatternMatches(p, subject))) continue;
    if (!(rule.constraints ?? []).every((c) => constraintHolds(c, merged))) continue;
    return { effect: rule.effect, rule: rule.name };
  }
  return { effect: set.defaultEffect ?? 'deny', rule: null };
}

// ---------------------------------------------------------------------------------------------
// Arbitraries: small alphabets, so that rules actually match.
// ---------------------------------------------------------------------------------------------

const ACTIONS = ['data:read', 'data:write', 'agent:x'];
const RESOURCES = ['r://a/b', 'r://a/c', 'r://b/b', 'r://a/b/c', 's://a'];
const IDENTIFIERS = ['alice', 'bob', 'svc-1'];
const ROLES = ['admin', 'ops', 'viewer'];
const TAG_KEYS = ['tenant', 'env'];
const TAG_VALUES = ['acme', 'beta', 'prod'];

/** A pattern derived from a word: literal, some characters replaced by `*`/`?`, `*` inserted, or a broad one. */
const patternFrom = (words: readonly string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...words) },
    {
      weight: 4,
      arbitrary: fc.constantFrom(...words).chain((word) =>
        fc.array(fc.tuple(fc.nat(word.length), fc.constantFrom('*', '?', 'replace*', 'replace?', 'delete')), { minLength: 1, maxLength: 3 })
          .map((edits) => {
            let chars = [...word];
            for (const [at, edit] of edits) {
              const i = Math.min(at, chars.length);
              if (edit === '*' || edit === '?') chars.splice(i, 0, edit);
              else if (edit === 'delete') chars.splice(i, 1);
              else chars.splice(i, 1, edit.slice(-1));
            }
            if (chars.length === 0) chars = ['*'];
            return chars.join('');
          })),
    },
    { weight: 1, arbitrary: fc.constantFrom('*', '?*', '*?', 'data:*', '*:x', '*a*', 'r://a/*', '*/b', 'r://?/b', '????:?', 'nothing') },
  );

const subjectPattern = fc.oneof(
  patternFrom(ROLES).map((p) => `role:${p}`),
  fc.constantFrom(...TAG_KEYS, 'other').map((k) => `tag:${k}`),
  fc.tuple(fc.constantFrom(...TAG_KEYS), patternFrom(TAG_VALUES)).map(([k, p]) => `tag:${k}=${p}`),
  patternFrom(IDENTIFIERS),
);

const VALUES: Json[] = [0, 1, 5, 10, 10.5, -1, 'a', 'prod', 'dev', 'acme', '', '5', true, false, null, [], [1, 2], [2, 1], {}, { x: 1, y: [1] }, { y: [1], x: 1 }, { x: 2 }];
// Half the time from a few "hot" values, so that equality (incl. key order of objects) actually hits.
const HOT: Json[] = [5, 'prod', null, [1, 2], { x: 1, y: [1] }, { y: [1], x: 1 }];
const value = fc.oneof(fc.constantFrom(...VALUES), fc.constantFrom(...HOT));
const NUMBERS = [-1, 0, 1, 5, 10, 10.5];
// 'subject' alone is left out: see evaluate.test.ts for the known bug with the whole-subject value.
const KEYS = ['size', 'env', 'nested.level', 'nested', 'action', 'resource', 'subject.identifier', 'subject.roles', 'subject.roles.0',
  'subject.attributes.team', 'subject.attributes', 'subject.tags.tenant', 'subject.tags', 'missing', 'size.deeper'];

const constraintTest: fc.Arbitrary<[string, unknown]> = fc.oneof(
  fc.tuple(fc.constantFrom('equals', 'notEquals'), value),
  fc.tuple(fc.constantFrom('anyOf', 'notAnyOf'), fc.array(value, { maxLength: 4 })),
  fc.tuple(fc.constant('exists'), fc.boolean()),
  fc.tuple(fc.constantFrom('gt', 'gte', 'lt', 'lte'), fc.constantFrom(...NUMBERS)),
  fc.tuple(fc.constant('matches'), fc.oneof(patternFrom(['prod', 'dev', 'acme', 'data:read', 'alice', 'r://a/b']), fc.constant('*'))),
);

/** A key and one to three different tests (all must hold). */
const constraint: fc.Arbitrary<RefConstraint> = fc.tuple(
  fc.constantFrom(...KEYS),
  fc.uniqueArray(constraintTest, { minLength: 1, maxLength: 3, selector: ([test]) => test }),
).map(([key, tests]) => ({ key, ...Object.fromEntries(tests) }) as RefConstraint);

const EFFECTS = ['allow', 'deny', 'require_approval'];

const rule = fc.record({
  effect: fc.constantFrom(...EFFECTS),
  priority: fc.constantFrom(1, 50, 100, 100, 200),
  actions: fc.array(patternFrom(ACTIONS), { maxLength: 2 }),
  resources: fc.array(patternFrom(RESOURCES), { maxLength: 2 }),
  subjects: fc.array(subjectPattern, { maxLength: 2 }),
  constraints: fc.array(constraint, { maxLength: 2 }),
}, { requiredKeys: ['effect'] });

const policySet: fc.Arbitrary<RefSet> = fc.record({
  defaultEffect: fc.constantFrom(...EFFECTS),
  rules: fc.array(rule, { maxLength: 8 }),
}, { requiredKeys: ['rules'] }).map((set) => ({ name: 'random', ...set, rules: set.rules.map((r, i) => ({ name: `r${i}`, ...r })) }));

const tags = fc.dictionary(fc.constantFrom(...TAG_KEYS, 'other'), fc.constantFrom(...TAG_VALUES), { maxKeys: 2 });
const subject = fc.record({
  identifier: fc.constantFrom(...IDENTIFIERS),
  roles: fc.subarray(ROLES),
  attributes: fc.dictionary(fc.constantFrom('team', 'level'), value, { maxKeys: 2 }),
  tags,
}, { requiredKeys: ['identifier'] });

const context = fc.record({
  size: value,
  env: value,
  nested: fc.oneof(value, fc.record({ level: value }, { requiredKeys: [] })),
  // clashes: the request context wins over action / resource / subject
  action: fc.constantFrom(...ACTIONS, 'from-context'),
  subject: fc.record({ identifier: fc.constantFrom('ctx', 'alice'), attributes: fc.record({ team: value }) }, { requiredKeys: [] }),
}, { requiredKeys: [] });

const request: fc.Arbitrary<PolicyRequest> = fc.record({
  subject,
  action: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...ACTIONS) }, { weight: 1, arbitrary: fc.constantFrom('data:', 'agent:xy', 'x') }),
  resource: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...RESOURCES) }, { weight: 1, arbitrary: fc.constantFrom('r://', 'r://a/bb', 'q') }),
  context,
}, { requiredKeys: ['subject', 'action', 'resource'] });

// ---------------------------------------------------------------------------------------------

describe('the reference evaluator itself (so that agreement means something)', () => {
  it('follows the DESIGN examples', () => {
    const set: RefSet = {
      name: 's',
      rules: [
        { name: 'late', effect: 'allow', priority: 200 },
        { name: 'tie-1', effect: 'deny', priority: 100, constraints: [{ key: 'size', gt: 10 }] },
        { name: 'tie-2', effect: 'require_approval', resources: ['*production*'] },
      ],
    };
    const req = (resource: string, ctx?: Record<string, unknown>): PolicyRequest => ({ subject: { identifier: 'u' }, action: 'a', resource, context: ctx });
    expect(referenceEvaluate(set, req('dataset://production/sales', { size: 11 })).rule).toBe('tie-1');
    expect(referenceEvaluate(set, req('dataset://production/sales', { size: '11' })).rule).toBe('tie-2');
    expect(referenceEvaluate(set, req('dataset://staging/sales')).rule).toBe('late');
    expect(referenceEvaluate({ name: 'e', rules: [] }, req('x'))).toEqual({ effect: 'deny', rule: null });
    expect(refGlob('a?c').test('a/c')).toBe(true);
    expect(refGlob('a.c').test('abc')).toBe(false);
    expect(refEqual({ a: 1, b: [1] }, { b: [1], a: 1 })).toBe(true);
    expect(dottedGet({ subject: { roles: ['x'] } }, 'subject.roles.0')).toBe('x');
  });
});

describe('compiled engine == reference evaluator', () => {
  it('agrees on effect and rule for random sets and requests, cold and warm', () => {
    const stats = { sets: 0, decidedByRule: 0, decidedByDefault: 0, byConstraintRule: 0 };
    fc.assert(
      fc.property(policySet, fc.array(request, { minLength: 4, maxLength: 12 }), (set, requests) => {
        const engine = new PolicyEngine(parsePolicySet(set));
        stats.sets++;
        const check = (req: PolicyRequest, pass: string) => {
          const expected = referenceEvaluate(set, req);
          const actual = engine.evaluate(req);
          expect({ effect: actual.effect, rule: actual.rule }, `${pass}\nset: ${JSON.stringify(set)}\nrequest: ${JSON.stringify(req)}`).toEqual(expected);
          return expected;
        };
        for (const req of requests) {
          const expected = check(req, 'cold');
          if (expected.rule === null) stats.decidedByDefault++;
          else {
            stats.decidedByRule++;
            if (set.rules.find((r) => r.name === expected.rule)?.constraints?.length) stats.byConstraintRule++;
          }
        }
        // warm: the same engine again, in another order, several times (index caches hit)
        for (let round = 0; round < 3; round++) for (const req of [...requests].reverse()) check(req, `warm round ${round}`);
        // explain (no index) agrees too
        for (const req of requests) expect(engine.explain(req).decision).toEqual(engine.evaluate(req));
      }),
      { numRuns: 1000 },
    );
    // The generators must produce real matches, not only defaults, for the agreement to mean anything.
    expect(stats.sets).toBe(1000);
    const total = stats.decidedByRule + stats.decidedByDefault;
    expect(stats.decidedByRule / total).toBeGreaterThan(0.2);
    expect(stats.decidedByDefault / total).toBeGreaterThan(0.05);
    expect(stats.byConstraintRule).toBeGreaterThan(150);
  });

  it('agrees on a set evaluated against many requests (one engine, long-lived caches)', () => {
    fc.assert(
      fc.property(policySet.filter((s) => s.rules.length >= 4), fc.array(request, { minLength: 100, maxLength: 200 }), (set, requests) => {
        const engine = new PolicyEngine(parsePolicySet(set));
        for (let round = 0; round < 2; round++) {
          for (const req of requests) {
            const actual = engine.evaluate(req);
            expect({ effect: actual.effect, rule: actual.rule }).toEqual(referenceEvaluate(set, req));
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('agrees when a constraint looks at the whole subject value (known engine bug, see evaluate.test.ts)', () => {
    // DESIGN: subject in the merged context is {identifier, roles, attributes, tags}; the reference fills in
    // roles [] / attributes {} / tags {} like the engine does for subject.roles etc. The engine's lookup()
    // returns the raw request.subject for the key "subject" alone, so this fails for a subject without roles.
    const otherSubjectValue = fc.record({
      identifier: fc.constantFrom('alice', 'bob'),
      roles: fc.constantFrom([], ['admin']),
      attributes: fc.constantFrom({}, { team: 'a' }),
      tags: fc.constantFrom({}, { tenant: 'acme' }),
    });
    const filledIn = (s: PolicyRequest['subject']) => ({ identifier: s.identifier, roles: s.roles ?? [], attributes: s.attributes ?? {}, tags: s.tags ?? {} });
    const testCase = fc.tuple(subject, fc.boolean(), otherSubjectValue, fc.constantFrom('equals', 'notEquals', 'anyOf', 'notAnyOf'), fc.constantFrom(...EFFECTS))
      .map(([subj, same, other, test, effect]) => {
        const expected = same ? filledIn(subj) : other;
        const set: RefSet = {
          name: 'whole-subject',
          rules: [{ name: 'r0', effect, constraints: [{ key: 'subject', [test]: test.endsWith('nyOf') ? [expected] : expected } as RefConstraint] }],
        };
        return { set, subj };
      });
    fc.assert(
      fc.property(testCase, ({ set, subj }) => {
        const req: PolicyRequest = { subject: subj, action: 'data:read', resource: 'r://a/b' };
        const actual = new PolicyEngine(parsePolicySet(set)).evaluate(req);
        expect({ effect: actual.effect, rule: actual.rule }).toEqual(referenceEvaluate(set, req));
      }),
      { numRuns: 300 },
    );
  });

  it('the decision does not depend on key order in the set or the context', () => {
    const reverse = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reverse) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverse(x)])) : v;
    fc.assert(
      fc.property(policySet, request, (set, req) => {
        const a = new PolicyEngine(parsePolicySet(set));
        const b = new PolicyEngine(parsePolicySet(reverse(set)));
        expect(b.version).toBe(a.version);
        const reversedReq = { ...req, context: reverse(req.context) as Record<string, unknown> };
        expect(b.evaluate(reversedReq)).toEqual(a.evaluate(req));
      }),
      { numRuns: 300 },
    );
  });
});
