/** evaluate / enforce against DESIGN.md "Policy semantics". */
import { describe, expect, it } from 'vitest';
import {
  parsePolicySet,
  parsePolicyText,
  PolicyApprovalRequiredError,
  PolicyEffect,
  PolicyEngine,
  PolicyViolationError,
  type PolicyDecision,
  type PolicyRequest,
  type PolicySubject,
} from '../../../src/index.js';
// Internal on purpose: the large-set check compares the indexed path with an index-free scan.
import { ruleMatches } from '../../../src/policy/compile.js';

const engineOf = (rules: unknown[], extra: Record<string, unknown> = {}) =>
  new PolicyEngine(parsePolicySet({ name: 'test-set', ...extra, rules }));

const request = (over: Partial<PolicyRequest> = {}): PolicyRequest => ({
  subject: { identifier: 'alice' },
  action: 'data:read',
  resource: 'r://a/b',
  ...over,
});

/** Does a lone allow rule with this constraint match? (default deny) */
function holds(constraint: Record<string, unknown>, context?: Record<string, unknown>, subject: PolicySubject = { identifier: 'alice' }): boolean {
  const engine = engineOf([{ name: 'c', effect: 'allow', constraints: [{ key: 'x', ...constraint }] }]);
  const decision = engine.evaluate(request({ subject, context }));
  expect(decision.rule === 'c' ? 'allow' : 'deny').toBe(decision.effect);
  return decision.rule === 'c';
}

describe('rule order', () => {
  it('tries rules in ascending priority, whatever the declaration order', () => {
    const engine = engineOf([
      { name: 'late', effect: 'allow', priority: 300 },
      { name: 'early', effect: 'deny', priority: 5 },
      { name: 'middle', effect: 'require_approval', priority: 50 },
    ]);
    const decision = engine.evaluate(request());
    expect(decision.rule).toBe('early');
    expect(decision.effect).toBe('deny');
  });

  it('a lower-priority (higher number) rule decides when the earlier ones do not match', () => {
    const engine = engineOf([
      { name: 'late', effect: 'allow', priority: 300 },
      { name: 'early', effect: 'deny', priority: 5, actions: ['data:write'] },
      { name: 'middle', effect: 'require_approval', priority: 50, resources: ['r://z/*'] },
    ]);
    expect(engine.evaluate(request()).rule).toBe('late');
    expect(engine.evaluate(request({ action: 'data:write' })).rule).toBe('early');
    expect(engine.evaluate(request({ resource: 'r://z/q' })).rule).toBe('middle');
  });

  it('keeps declaration order between equal priorities (default priority is 100)', () => {
    const engine = engineOf([
      { name: 'first', effect: 'require_approval' },
      { name: 'second', effect: 'deny', priority: 100 },
      { name: 'third', effect: 'allow' },
      { name: 'before-all', effect: 'allow', priority: 99.5 },
      { name: 'after-all', effect: 'deny', priority: 100.5 },
    ]);
    expect(engine.evaluate(request()).rule).toBe('before-all');
    const withoutBefore = engineOf([
      { name: 'first', effect: 'require_approval', actions: ['x'] },
      { name: 'second', effect: 'deny', priority: 100 },
      { name: 'third', effect: 'allow' },
    ]);
    expect(withoutBefore.evaluate(request()).rule).toBe('second');
    expect(withoutBefore.evaluate(request({ action: 'x' })).rule).toBe('first');
  });

  it('accepts negative and fractional priorities', () => {
    const engine = engineOf([
      { name: 'zero', effect: 'allow', priority: 0 },
      { name: 'neg', effect: 'deny', priority: -10 },
      { name: 'frac', effect: 'require_approval', priority: -10.5 },
    ]);
    expect(engine.evaluate(request()).rule).toBe('frac');
  });

  it('a rule with an exact action and one with a wildcard compete by priority, not by specificity', () => {
    const engine = engineOf([
      { name: 'specific', effect: 'allow', actions: ['data:read'], resources: ['r://a/b'], priority: 20 },
      { name: 'broad', effect: 'deny', actions: ['*'], resources: ['r://*'], priority: 10 },
    ]);
    expect(engine.evaluate(request()).rule).toBe('broad');
  });
});

describe('default effect', () => {
  it('is deny with rule null when nothing matches and no default is given', () => {
    const engine = engineOf([{ name: 'only-write', effect: 'allow', actions: ['data:write'] }]);
    const decision = engine.evaluate(request());
    expect(decision.effect).toBe(PolicyEffect.DENY);
    expect(decision.rule).toBeNull();
    expect(decision.metadata).toEqual({});
  });

  it.each(['allow', 'require_approval', 'deny'] as const)('is the set defaultEffect %s when given', (defaultEffect) => {
    const engine = engineOf([{ name: 'only-write', effect: 'deny', actions: ['data:write'] }], { defaultEffect });
    expect(engine.evaluate(request())).toMatchObject({ effect: defaultEffect, rule: null });
    expect(engine.evaluate(request({ action: 'data:write' }))).toMatchObject({ effect: 'deny', rule: 'only-write' });
  });

  it('applies to an empty rule list', () => {
    expect(engineOf([]).evaluate(request())).toMatchObject({ effect: 'deny', rule: null });
    expect(engineOf([], { defaultEffect: 'allow' }).evaluate(request())).toMatchObject({ effect: 'allow', rule: null });
  });
});

describe('lists', () => {
  it('missing or empty lists match everything', () => {
    for (const rule of [
      {},
      { actions: [] },
      { resources: [] },
      { subjects: [] },
      { constraints: [] },
      { actions: [], resources: [], subjects: [], constraints: [] },
    ]) {
      const engine = engineOf([{ name: 'r', effect: 'allow', ...rule }]);
      expect(engine.evaluate(request({ action: 'anything:at/all', resource: 'x', subject: { identifier: 'z' } })).rule).toBe('r');
    }
  });

  it('a non-empty list matches when any of its patterns matches', () => {
    const engine = engineOf([{ name: 'r', effect: 'allow', actions: ['data:write', 'data:r*'], resources: ['nope', 'r://a/?'] }]);
    expect(engine.evaluate(request()).rule).toBe('r');
    expect(engine.evaluate(request({ action: 'data:delete' })).rule).toBeNull();
    expect(engine.evaluate(request({ resource: 'r://a/bb' })).rule).toBeNull();
  });

  it('every non-empty list must match', () => {
    const engine = engineOf([{ name: 'r', effect: 'allow', actions: ['data:*'], resources: ['r://a/*'], subjects: ['alice'] }]);
    expect(engine.evaluate(request()).rule).toBe('r');
    expect(engine.evaluate(request({ action: 'agent:x' })).rule).toBeNull();
    expect(engine.evaluate(request({ resource: 'r://b/b' })).rule).toBeNull();
    expect(engine.evaluate(request({ subject: { identifier: 'bob' } })).rule).toBeNull();
  });

  it('the seed examples: * crosses / and : in actions and resources', () => {
    const engine = engineOf([
      { name: 'prod', effect: 'require_approval', resources: ['*production*'], priority: 10 },
      { name: 'eu', effect: 'deny', resources: ['dataset://eu_citizens/*'], priority: 20 },
      { name: 'sql', effect: 'allow', actions: ['tool://sql_*'], priority: 30 },
    ]);
    expect(engine.evaluate(request({ resource: 'dataset://production/sales' })).rule).toBe('prod');
    expect(engine.evaluate(request({ resource: 'dataset://eu_citizens/a/b' })).rule).toBe('eu');
    expect(engine.evaluate(request({ action: 'tool://sql_query', resource: 'db://x' })).rule).toBe('sql');
    expect(engine.evaluate(request({ action: 'tool://db_query', resource: 'db://x' })).rule).toBeNull();
  });
});

describe('subjects', () => {
  const engine = engineOf([
    { name: 'admin-role', effect: 'allow', subjects: ['role:admin'], priority: 1 },
    { name: 'ops-role-glob', effect: 'allow', subjects: ['role:ops-*'], priority: 2 },
    { name: 'has-tenant', effect: 'require_approval', subjects: ['tag:tenant_id'], priority: 3 },
    { name: 'region-eu', effect: 'deny', subjects: ['tag:region=eu-*'], priority: 0 },
    { name: 'svc-identifier', effect: 'allow', subjects: ['svc-*'], priority: 4 },
  ]);
  const rule = (subject: PolicySubject) => engine.evaluate(request({ subject })).rule;

  it('role:GLOB matches if any of the roles matches', () => {
    expect(rule({ identifier: 'u', roles: ['viewer', 'admin'] })).toBe('admin-role');
    expect(rule({ identifier: 'u', roles: ['viewer', 'ops-oncall'] })).toBe('ops-role-glob');
    expect(rule({ identifier: 'u', roles: ['Admin', 'ops'] })).toBeNull();
    expect(rule({ identifier: 'u', roles: [] })).toBeNull();
    expect(rule({ identifier: 'u' })).toBeNull();
  });

  it('role: does not look at the identifier, and an identifier glob does not look at roles', () => {
    expect(rule({ identifier: 'admin' })).toBeNull();
    expect(rule({ identifier: 'u', roles: ['svc-1'] })).toBeNull();
    expect(rule({ identifier: 'svc-1' })).toBe('svc-identifier');
  });

  it('tag:KEY matches when the tag is present, whatever its value', () => {
    expect(rule({ identifier: 'u', tags: { tenant_id: 'acme' } })).toBe('has-tenant');
    expect(rule({ identifier: 'u', tags: { tenant_id: '' } })).toBe('has-tenant');
    expect(rule({ identifier: 'u', tags: { tenant: 'acme' } })).toBeNull();
    expect(rule({ identifier: 'u', tags: {} })).toBeNull();
    expect(rule({ identifier: 'u', attributes: { tenant_id: 'acme' } })).toBeNull();
  });

  it('tag:KEY=GLOB matches the tag value', () => {
    expect(rule({ identifier: 'u', tags: { region: 'eu-west-1' } })).toBe('region-eu');
    expect(rule({ identifier: 'u', tags: { region: 'us-east-1' } })).toBeNull();
    expect(rule({ identifier: 'u', tags: { region: 'EU-west' } })).toBeNull();
    expect(rule({ identifier: 'u', tags: { regio: 'eu-west-1' } })).toBeNull();
  });

  it('tag:KEY=literal needs the exact value; a tag value may contain "="', () => {
    const e = engineOf([{ name: 't', effect: 'allow', subjects: ['tag:k=a=b'] }]);
    expect(e.evaluate(request({ subject: { identifier: 'u', tags: { k: 'a=b' } } })).rule).toBe('t');
    expect(e.evaluate(request({ subject: { identifier: 'u', tags: { k: 'a' } } })).rule).toBeNull();
    expect(e.evaluate(request({ subject: { identifier: 'u', tags: { 'k=a': 'b' } } })).rule).toBeNull();
  });

  it('any subject pattern in the list is enough', () => {
    const e = engineOf([{ name: 's', effect: 'allow', subjects: ['bob', 'role:auditor', 'tag:vip'] }]);
    expect(e.evaluate(request({ subject: { identifier: 'bob' } })).rule).toBe('s');
    expect(e.evaluate(request({ subject: { identifier: 'x', roles: ['auditor'] } })).rule).toBe('s');
    expect(e.evaluate(request({ subject: { identifier: 'x', tags: { vip: 'yes' } } })).rule).toBe('s');
    expect(e.evaluate(request({ subject: { identifier: 'bobby' } })).rule).toBeNull();
  });

  it('identifier patterns are whole-string globs', () => {
    const e = engineOf([{ name: 's', effect: 'allow', subjects: ['user-?', 'agent://*'] }]);
    expect(e.evaluate(request({ subject: { identifier: 'user-1' } })).rule).toBe('s');
    expect(e.evaluate(request({ subject: { identifier: 'user-12' } })).rule).toBeNull();
    expect(e.evaluate(request({ subject: { identifier: 'agent://team/a' } })).rule).toBe('s');
    expect(e.evaluate(request({ subject: { identifier: 'xagent://team/a' } })).rule).toBeNull();
  });
});

describe('constraints: the merged context', () => {
  it('sees action, resource and the subject fields', () => {
    expect(holds({ key: 'action', equals: 'data:read' })).toBe(true);
    expect(holds({ key: 'action', equals: 'data:write' })).toBe(false);
    expect(holds({ key: 'resource', matches: 'r://a/*' })).toBe(true);
    expect(holds({ key: 'subject.identifier', equals: 'alice' })).toBe(true);
    expect(holds({ key: 'subject.identifier', equals: 'bob' })).toBe(false);
    expect(holds({ key: 'subject.attributes.team_id', equals: 'team-1' }, undefined, { identifier: 'a', attributes: { team_id: 'team-1' } })).toBe(true);
    expect(holds({ key: 'subject.attributes.team_id', equals: 'team-1' }, undefined, { identifier: 'a', attributes: { team_id: 'team-2' } })).toBe(false);
    expect(holds({ key: 'subject.attributes.mfa_verified', equals: true }, undefined, { identifier: 'a', attributes: { mfa_verified: true } })).toBe(true);
    expect(holds({ key: 'subject.tags.tenant_id', equals: 'acme' }, undefined, { identifier: 'a', tags: { tenant_id: 'acme' } })).toBe(true);
    expect(holds({ key: 'subject.roles', equals: ['a', 'b'] }, undefined, { identifier: 'a', roles: ['a', 'b'] })).toBe(true);
    expect(holds({ key: 'subject.roles', equals: ['b', 'a'] }, undefined, { identifier: 'a', roles: ['a', 'b'] })).toBe(false);
    expect(holds({ key: 'subject.roles.1', equals: 'b' }, undefined, { identifier: 'a', roles: ['a', 'b'] })).toBe(true);
  });

  it('gives roles, attributes and tags even when the request leaves them out', () => {
    const bare = { identifier: 'a' };
    expect(holds({ key: 'subject.roles', equals: [] }, undefined, bare)).toBe(true);
    expect(holds({ key: 'subject.attributes', equals: {} }, undefined, bare)).toBe(true);
    expect(holds({ key: 'subject.tags', equals: {} }, undefined, bare)).toBe(true);
    expect(holds({ key: 'subject.tags', exists: true }, undefined, bare)).toBe(true);
    expect(holds({ key: 'subject.attributes.team_id', exists: false }, undefined, bare)).toBe(true);
    expect(holds({ key: 'subject.nickname', exists: false }, undefined, bare)).toBe(true);
  });

  it('the whole subject value is {identifier, roles, attributes, tags}', () => {
    const subject = { identifier: 'a', roles: ['r'], attributes: { k: 1 }, tags: { t: 'v' } };
    expect(holds({ key: 'subject', equals: { tags: { t: 'v' }, identifier: 'a', attributes: { k: 1 }, roles: ['r'] } }, undefined, subject)).toBe(true);
    expect(holds({ key: 'subject', equals: { identifier: 'a' } }, undefined, subject)).toBe(false);
  });

  it('the whole subject value has roles/attributes/tags filled in when the request leaves them out', () => {
    // DESIGN: the merged context is { action, resource, subject: {identifier, roles, attributes, tags}, ...context },
    // and subject.roles / .attributes / .tags are [] / {} / {} when absent (lookup() does so for the dotted forms).
    // BUG (src/policy/context.ts, lookup: `if (segments.length === 1) return request.subject;`): the key
    // "subject" alone returns the raw request.subject, so this equals fails.
    expect(holds({ key: 'subject', equals: { identifier: 'a', roles: [], attributes: {}, tags: {} } }, undefined, { identifier: 'a' })).toBe(true);
  });

  it('reads request context keys, nested objects and arrays by dotted path', () => {
    const ctx = { export_size_bytes: 5_000_000, geo: { country: 'DE', city: { name: 'Berlin' } }, list: [{ id: 7 }] };
    expect(holds({ key: 'export_size_bytes', gt: 1_000_000 }, ctx)).toBe(true);
    expect(holds({ key: 'geo.country', equals: 'DE' }, ctx)).toBe(true);
    expect(holds({ key: 'geo.city.name', matches: 'Ber*' }, ctx)).toBe(true);
    expect(holds({ key: 'geo.city', equals: { name: 'Berlin' } }, ctx)).toBe(true);
    expect(holds({ key: 'list.0.id', equals: 7 }, ctx)).toBe(true);
    expect(holds({ key: 'geo.country.code', exists: false }, ctx)).toBe(true); // descending into a string is missing
    expect(holds({ key: 'geo.region', exists: false }, ctx)).toBe(true);
    expect(holds({ key: 'nope.deeper', exists: false }, ctx)).toBe(true);
  });

  it('request context wins on clashes with action, resource and subject', () => {
    expect(holds({ key: 'action', equals: 'from-context' }, { action: 'from-context' })).toBe(true);
    expect(holds({ key: 'action', equals: 'data:read' }, { action: 'from-context' })).toBe(false);
    expect(holds({ key: 'resource', equals: 42 }, { resource: 42 })).toBe(true);
    // the clash is shallow, like an object spread: context.subject replaces the whole subject
    expect(holds({ key: 'subject.identifier', equals: 'mallory' }, { subject: { identifier: 'mallory' } })).toBe(true);
    expect(holds({ key: 'subject.identifier', equals: 'alice' }, { subject: { identifier: 'mallory' } })).toBe(false);
    expect(holds({ key: 'subject.roles', exists: false }, { subject: { identifier: 'mallory' } }, { identifier: 'alice', roles: ['admin'] })).toBe(true);
  });

  it('does not use the context for matching actions and resources, only for constraints', () => {
    const engine = engineOf([{ name: 'w', effect: 'allow', actions: ['data:write'] }]);
    expect(engine.evaluate(request({ context: { action: 'data:write' } })).rule).toBeNull();
  });

  it('does not see inherited properties', () => {
    expect(holds({ key: 'toString', exists: false }, {})).toBe(true);
    expect(holds({ key: 'geo.constructor', exists: false }, { geo: {} })).toBe(true);
    expect(holds({ key: 'subject.attributes.hasOwnProperty', exists: false })).toBe(true);
  });
});

describe('constraint tests', () => {
  it('equals is deep JSON equality (objects, arrays, null), key order irrelevant', () => {
    expect(holds({ equals: 5 }, { x: 5 })).toBe(true);
    expect(holds({ equals: 5 }, { x: '5' })).toBe(false);
    expect(holds({ equals: 'a' }, { x: 'a' })).toBe(true);
    expect(holds({ equals: true }, { x: true })).toBe(true);
    expect(holds({ equals: true }, { x: 1 })).toBe(false);
    expect(holds({ equals: null }, { x: null })).toBe(true);
    expect(holds({ equals: null }, { x: 0 })).toBe(false);
    expect(holds({ equals: null }, { x: {} })).toBe(false);
    expect(holds({ equals: {} }, { x: {} })).toBe(true);
    expect(holds({ equals: [] }, { x: {} })).toBe(false);
    expect(holds({ equals: {} }, { x: [] })).toBe(false);
    expect(holds({ equals: { a: 1, b: [1, { c: null }] } }, { x: { b: [1, { c: null }], a: 1 } })).toBe(true);
    expect(holds({ equals: { a: 1, b: [1, { c: null }] } }, { x: { b: [1, { c: 0 }], a: 1 } })).toBe(false);
    expect(holds({ equals: { a: 1 } }, { x: { a: 1, b: 2 } })).toBe(false);
    expect(holds({ equals: { a: 1, b: 2 } }, { x: { a: 1 } })).toBe(false);
    expect(holds({ equals: [1, 2] }, { x: [2, 1] })).toBe(false);
    expect(holds({ equals: [1, 2] }, { x: [1, 2, 3] })).toBe(false);
    expect(holds({ equals: { '0': 'a' } }, { x: ['a'] })).toBe(false);
  });

  it('notEquals is the negation of equals for present values', () => {
    expect(holds({ notEquals: 'prod' }, { x: 'dev' })).toBe(true);
    expect(holds({ notEquals: 'prod' }, { x: 'prod' })).toBe(false);
    expect(holds({ notEquals: { a: [1] } }, { x: { a: [1] } })).toBe(false);
    expect(holds({ notEquals: null }, { x: null })).toBe(false);
    expect(holds({ notEquals: null }, { x: 'null' })).toBe(true);
  });

  it('anyOf / notAnyOf use the same deep equality', () => {
    expect(holds({ anyOf: ['eu', 'us'] }, { x: 'us' })).toBe(true);
    expect(holds({ anyOf: ['eu', 'us'] }, { x: 'apac' })).toBe(false);
    expect(holds({ anyOf: [{ a: 1, b: 2 }, 3] }, { x: { b: 2, a: 1 } })).toBe(true);
    expect(holds({ anyOf: [null] }, { x: null })).toBe(true);
    expect(holds({ anyOf: [] }, { x: 'a' })).toBe(false);
    expect(holds({ notAnyOf: ['eu', 'us'] }, { x: 'apac' })).toBe(true);
    expect(holds({ notAnyOf: ['eu', 'us'] }, { x: 'eu' })).toBe(false);
    expect(holds({ notAnyOf: [[1, 2]] }, { x: [1, 2] })).toBe(false);
    expect(holds({ notAnyOf: [] }, { x: 'a' })).toBe(true);
  });

  it('exists', () => {
    expect(holds({ exists: true }, { x: 0 })).toBe(true);
    expect(holds({ exists: true }, { x: null })).toBe(true); // null is a JSON value
    expect(holds({ exists: true }, { x: false })).toBe(true);
    expect(holds({ exists: true }, { x: '' })).toBe(true);
    expect(holds({ exists: true }, { y: 1 })).toBe(false);
    expect(holds({ exists: false }, { y: 1 })).toBe(true);
    expect(holds({ exists: false }, { x: 1 })).toBe(false);
  });

  it('gt / gte / lt / lte compare numbers only', () => {
    expect(holds({ gt: 10 }, { x: 11 })).toBe(true);
    expect(holds({ gt: 10 }, { x: 10 })).toBe(false);
    expect(holds({ gte: 10 }, { x: 10 })).toBe(true);
    expect(holds({ gte: 10 }, { x: 9.99 })).toBe(false);
    expect(holds({ lt: 10 }, { x: 9 })).toBe(true);
    expect(holds({ lt: 10 }, { x: 10 })).toBe(false);
    expect(holds({ lte: 10 }, { x: 10 })).toBe(true);
    expect(holds({ lte: 10 }, { x: 10.5 })).toBe(false);
    expect(holds({ gt: -1 }, { x: 0 })).toBe(true);
    for (const test of ['gt', 'gte', 'lt', 'lte']) {
      expect(holds({ [test]: 5 }, { x: '5' }), `${test} on a numeric string`).toBe(false);
      expect(holds({ [test]: 5 }, { x: '50' }), `${test} on a string`).toBe(false);
      expect(holds({ [test]: 0 }, { x: null }), `${test} on null`).toBe(false);
      expect(holds({ [test]: 0 }, { x: true }), `${test} on a boolean`).toBe(false);
      expect(holds({ [test]: 0 }, { x: [1] }), `${test} on a list`).toBe(false);
    }
  });

  it('matches is a glob on strings only', () => {
    expect(holds({ matches: '*@example.com' }, { x: 'bob@example.com' })).toBe(true);
    expect(holds({ matches: '*@example.com' }, { x: 'bob@example.org' })).toBe(false);
    expect(holds({ matches: '*@example.com' }, { x: 'bob@example.com.evil' })).toBe(false);
    expect(holds({ matches: 'a?c' }, { x: 'a/c' })).toBe(true);
    expect(holds({ matches: '1*' }, { x: 123 })).toBe(false);
    expect(holds({ matches: '*' }, { x: null })).toBe(false);
    expect(holds({ matches: '*' }, { x: '' })).toBe(true);
  });

  describe('a missing value', () => {
    it.each([
      [{ equals: null }, false],
      [{ equals: 'a' }, false],
      [{ anyOf: [null, 'a'] }, false],
      [{ gt: -1e9 }, false],
      [{ gte: 0 }, false],
      [{ lt: 1e9 }, false],
      [{ lte: 0 }, false],
      [{ matches: '*' }, false],
      [{ exists: true }, false],
      [{ notEquals: 'a' }, true],
      [{ notEquals: null }, true],
      [{ notAnyOf: ['a', null] }, true],
      [{ exists: false }, true],
    ])('%j -> %s', (test, expected) => {
      expect(holds(test, { y: 'unrelated' })).toBe(expected);
      expect(holds(test, undefined)).toBe(expected);
    });
  });

  it('every test given in one constraint must hold', () => {
    const range = { gte: 10, lt: 20 };
    expect(holds(range, { x: 10 })).toBe(true);
    expect(holds(range, { x: 19 })).toBe(true);
    expect(holds(range, { x: 20 })).toBe(false);
    expect(holds(range, { x: 9 })).toBe(false);
    expect(holds({ exists: true, notAnyOf: ['a'], matches: '?' }, { x: 'b' })).toBe(true);
    expect(holds({ exists: true, notAnyOf: ['a'], matches: '?' }, { x: 'a' })).toBe(false);
    expect(holds({ exists: true, notAnyOf: ['a'], matches: '?' }, { x: 'bb' })).toBe(false);
    expect(holds({ notEquals: 'a', exists: true }, {})).toBe(false);
  });

  it('every constraint of a rule must hold', () => {
    const engine = engineOf([{
      name: 'both', effect: 'allow',
      constraints: [{ key: 'a', equals: 1 }, { key: 'b', equals: 2 }],
    }]);
    expect(engine.evaluate(request({ context: { a: 1, b: 2 } })).rule).toBe('both');
    expect(engine.evaluate(request({ context: { a: 1, b: 3 } })).rule).toBeNull();
    expect(engine.evaluate(request({ context: { a: 0, b: 2 } })).rule).toBeNull();
    expect(engine.evaluate(request({ context: { b: 2 } })).rule).toBeNull();
  });

  it('the seed examples: export_size_bytes > threshold, auth_age_minutes > 15', () => {
    const engine = engineOf([
      { name: 'large-export', effect: 'require_approval', actions: ['data:export'], constraints: [{ key: 'export_size_bytes', gt: 100_000_000 }], priority: 10 },
      { name: 'stale-auth', effect: 'deny', constraints: [{ key: 'auth_age_minutes', gt: 15 }], priority: 20 },
      { name: 'mfa', effect: 'allow', constraints: [{ key: 'subject.attributes.mfa_verified', equals: true }], priority: 30 },
    ]);
    const mfa = { identifier: 'u', attributes: { mfa_verified: true } };
    const at = (action: string, context: Record<string, unknown>, subject: PolicySubject = mfa) => engine.evaluate(request({ action, subject, context })).rule;
    expect(at('data:export', { export_size_bytes: 500_000_000, auth_age_minutes: 1 })).toBe('large-export');
    expect(at('data:export', { export_size_bytes: 100_000_000, auth_age_minutes: 1 })).toBe('mfa');
    expect(at('data:export', { export_size_bytes: 1, auth_age_minutes: 16 })).toBe('stale-auth');
    expect(at('data:export', { export_size_bytes: 1, auth_age_minutes: 15 })).toBe('mfa');
    expect(at('data:export', { export_size_bytes: '500000000', auth_age_minutes: '16' })).toBe('mfa');
    expect(at('data:read', { auth_age_minutes: 1 }, { identifier: 'u', attributes: { mfa_verified: 'true' } })).toBeNull();
  });
});

describe('decision', () => {
  const set = {
    name: 'enterprise',
    description: 'the set',
    rules: [
      { name: 'prod-approval', description: 'Production needs approval', effect: 'require_approval', resources: ['*production*'], metadata: { approvers: ['sre'], sla: { hours: 4 } }, priority: 10 },
      { name: 'allow-read', effect: 'allow', actions: ['data:read'] },
    ],
  };

  it('has effect, rule, reason (the description), metadata, policySet and policyVersion', () => {
    const engine = new PolicyEngine(parsePolicySet(set));
    const decision = engine.evaluate(request({ resource: 'db://production/x' }));
    expect(decision).toEqual({
      effect: 'require_approval',
      rule: 'prod-approval',
      reason: 'Production needs approval',
      metadata: { approvers: ['sre'], sla: { hours: 4 } },
      policySet: 'enterprise',
      policyVersion: engine.version,
    });
    expect(decision.policyVersion).toMatch(/^[0-9a-f]{6,}$/);
    const noDescription = engine.evaluate(request());
    expect(noDescription.rule).toBe('allow-read');
    expect(noDescription.reason ?? null).toBeNull();
    expect(noDescription.metadata).toEqual({});
  });

  it('mutating a returned decision or the input set does not change later decisions', () => {
    const input = structuredClone(set);
    const engine = new PolicyEngine(parsePolicySet(input));
    const first = engine.evaluate(request({ resource: 'db://production/x' }));
    try {
      (first.metadata as { approvers: string[] }).approvers.push('intruder');
    } catch { /* frozen is fine */ }
    (input.rules[0].metadata as { approvers: string[] }).approvers.push('intruder2');
    expect(engine.evaluate(request({ resource: 'db://production/x' })).metadata).toEqual({ approvers: ['sre'], sla: { hours: 4 } });
  });

  it('policyVersion is stable across key order and YAML vs JSON of the same set', () => {
    const reversed = (value: unknown): unknown =>
      Array.isArray(value) ? value.map(reversed)
        : value !== null && typeof value === 'object' ? Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversed(v)]))
          : value;
    const json = JSON.stringify(set, null, 2);
    const yaml = [
      'rules:',
      '  - priority: 10',
      '    name: prod-approval',
      '    effect: require_approval',
      '    description: Production needs approval',
      '    resources: ["*production*"]',
      '    metadata: { sla: { hours: 4 }, approvers: [sre] }',
      '  - { effect: allow, name: allow-read, actions: [data:read] }',
      'description: the set',
      'name: enterprise',
    ].join('\n');
    const versions = [
      new PolicyEngine(parsePolicySet(set)).version,
      new PolicyEngine(parsePolicySet(reversed(set))).version,
      new PolicyEngine(parsePolicyText(json, 'x.json')).version,
      new PolicyEngine(parsePolicyText(yaml, 'x.yaml')).version,
      new PolicyEngine(parsePolicySet({ ...set, defaultEffect: 'deny' })).version, // the default, spelled out
    ];
    expect(new Set(versions).size).toBe(1);
    const decision = new PolicyEngine(parsePolicyText(yaml)).evaluate(request());
    expect(decision.policyVersion).toBe(versions[0]);
  });

  it('policyVersion changes when a rule changes', () => {
    const base = new PolicyEngine(parsePolicySet(set)).version;
    const variants = [
      { ...set, rules: [{ ...set.rules[0], priority: 11 }, set.rules[1]] },
      { ...set, rules: [{ ...set.rules[0], effect: 'deny' }, set.rules[1]] },
      { ...set, rules: [{ ...set.rules[0], resources: ['*prod*'] }, set.rules[1]] },
      { ...set, rules: [{ ...set.rules[0], metadata: { approvers: ['sre', 'dba'], sla: { hours: 4 } } }, set.rules[1]] },
      { ...set, rules: [set.rules[0], { ...set.rules[1], name: 'allow-reads' }] },
      { ...set, rules: [set.rules[1], set.rules[0]] }, // declaration order matters for equal priorities
      { ...set, rules: [set.rules[0]] },
      { ...set, defaultEffect: 'allow' },
    ];
    const versions = variants.map((v) => new PolicyEngine(parsePolicySet(v)).version);
    for (const v of versions) expect(v).not.toBe(base);
    expect(new Set(versions).size).toBe(versions.length);
  });
});

describe('enforce', () => {
  const engine = engineOf([
    { name: 'deny-delete', description: 'no deletes', effect: 'deny', actions: ['data:delete'] },
    { name: 'approve-export', description: 'exports need approval', effect: 'require_approval', actions: ['data:export'] },
    { name: 'allow-read', effect: 'allow', actions: ['data:read'] },
  ]);

  it('returns the decision on allow', () => {
    const req = request();
    expect(engine.enforce(req)).toEqual(engine.evaluate(req));
    expect(engine.enforce(req).rule).toBe('allow-read');
  });

  it('throws PolicyViolationError carrying decision and request on deny (rule or default)', () => {
    for (const [action, rule] of [['data:delete', 'deny-delete'], ['data:other', null]] as const) {
      const req = request({ action });
      let thrown: unknown;
      try {
        engine.enforce(req);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(PolicyViolationError);
      const error = thrown as PolicyViolationError;
      expect(error.decision).toEqual(engine.evaluate(req));
      expect(error.decision.rule).toBe(rule);
      expect(error.decision.effect).toBe('deny');
      expect(error.request).toBe(req);
      expect(error.message).toContain(action);
    }
  });

  it('throws PolicyApprovalRequiredError carrying decision and request on require_approval', () => {
    const req = request({ action: 'data:export' });
    let thrown: unknown;
    try {
      engine.enforce(req);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PolicyApprovalRequiredError);
    expect(thrown).not.toBeInstanceOf(PolicyViolationError);
    const error = thrown as PolicyApprovalRequiredError;
    expect(error.decision).toMatchObject({ effect: 'require_approval', rule: 'approve-export', reason: 'exports need approval' });
    expect(error.request).toBe(req);
  });

  it('default allow and default require_approval follow the same rule', () => {
    expect(engineOf([], { defaultEffect: 'allow' }).enforce(request())).toMatchObject({ effect: 'allow', rule: null });
    expect(() => engineOf([], { defaultEffect: 'require_approval' }).enforce(request())).toThrow(PolicyApprovalRequiredError);
  });
});

describe('a large set: the rule index never changes the answer', () => {
  // Deterministic PRNG so a failure is reproducible; the property is "indexed evaluate == full scan".
  function mulberry32(seed: number) {
    return () => {
      seed |= 0;
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const random = mulberry32(20240611);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const namespaces = ['data', 'agent', 'tool', 'model', 'deploy'];
  const verbs = ['read', 'write', 'export', 'delete', 'invoke', 'x'];
  const tenants = Array.from({ length: 40 }, (_, i) => `t${i}`);
  const kinds = ['db', 'dataset', 'bucket'];

  // Mostly specific patterns (so that thousands of different rules get to decide), some broad ones,
  // and every shape the index treats differently: literal, prefix*, *suffix, ?, class, *middle*.
  const actionPattern = () => {
    const ns = pick(namespaces);
    const verb = pick(verbs);
    return random() < 0.97
      ? pick([`${ns}:${verb}`, `${ns}:${verb.slice(0, 2)}*`, `${ns}:?${verb.slice(1)}`, `${ns}:[${verb[0]}]${verb.slice(1)}`])
      : pick([`${ns}:*`, `*:${verb}`, '*', `[ad]*:${verb}`, `${ns}*`, `*${verb}*`, `?${ns.slice(1)}:${verb}`]);
  };
  const resourcePattern = () => {
    const kind = pick(kinds);
    const tenant = pick(tenants);
    return random() < 0.97
      ? pick([`${kind}://${tenant}/*`, `${kind}://${tenant}/main`, `${kind}://${tenant}/ma?n`, `${kind}://${tenant}/x/*`])
      : pick([`*://${tenant}/*`, `${kind}://*`, `*${tenant}/*`, `${kind}://t?/main`, `?${kind.slice(1)}://${tenant}/*`, `*/main`]);
  };
  const makeRule = (i: number) => {
    const rule: Record<string, unknown> = { name: `rule-${i}`, effect: pick(['allow', 'deny', 'require_approval']), priority: Math.floor(random() * 1000) };
    if (random() < 0.99) rule.actions = Array.from({ length: 1 + Math.floor(random() * 2) }, actionPattern);
    if (random() < 0.99) rule.resources = Array.from({ length: 1 + Math.floor(random() * 2) }, resourcePattern);
    if (random() < 0.3) rule.subjects = [pick(['role:admin', 'role:ops-*', 'tag:tenant_id', 'svc-*', 'alice'])];
    if (random() < 0.3) rule.constraints = [{ key: pick(['size', 'subject.attributes.team', 'env']), ...pick([{ gt: 50 }, { equals: 'prod' }, { exists: false }, { notAnyOf: ['team-a'] }]) }];
    return rule;
  };
  const set = parsePolicySet({ name: 'large', rules: Array.from({ length: 5000 }, (_, i) => makeRule(i)) });
  const engine = new PolicyEngine(set);
  const makeRequest = (): PolicyRequest => ({
    subject: {
      identifier: pick(['alice', 'bob', 'svc-1']),
      roles: pick([[], ['admin'], ['ops-oncall'], ['viewer']]),
      attributes: pick([{}, { team: 'team-a' }, { team: 'team-b' }]),
      tags: pick<Record<string, string>>([{}, { tenant_id: 't1' }]),
    },
    action: `${pick(namespaces)}:${pick(verbs)}`,
    resource: `${pick([...kinds, 'other'])}://${pick(tenants)}/${pick(['main', 'mayn', 'x/y', ''])}`,
    context: pick([{}, { size: 10, env: 'prod' }, { size: 100 }, { env: 'dev' }]),
  });
  const requests = Array.from({ length: 5000 }, makeRequest);

  /** The same compiled rules in evaluation order, scanned one by one: no candidate index involved. */
  const fullScan = (req: PolicyRequest): PolicyDecision =>
    engine.compiled.rules.find((rule) => ruleMatches(rule, req))?.decision ?? engine.compiled.defaultDecision;

  it('has 5,000 rules', () => {
    expect(engine.compiled.rules).toHaveLength(5000);
  });

  it('evaluate (indexed) equals explain (full scan, no index)', () => {
    for (const req of requests.slice(0, 150)) {
      expect(engine.evaluate(req), JSON.stringify(req)).toEqual(engine.explain(req).decision);
    }
  });

  it('evaluate (indexed) equals a plain scan of the rules for 5,000 requests, with cold and then warm index caches', () => {
    const expected = requests.map(fullScan);
    for (let round = 0; round < 3; round++) {
      requests.forEach((req, i) => expect(engine.evaluate(req), `round ${round}: ${JSON.stringify(req)}`).toEqual(expected[i]));
    }
    // Only meaningful if many different rules, early and late, and the default actually decide.
    const deciders = new Set(expected.map((d) => d.rule));
    expect(deciders.size).toBeGreaterThan(500);
    expect(deciders.has(null)).toBe(true);
    const rank = new Map(engine.compiled.rules.map((r) => [r.rule.name, r.rank]));
    expect(Math.max(...expected.map((d) => (d.rule === null ? -1 : rank.get(d.rule)!)))).toBeGreaterThan(2500);
  });

  it('a fresh engine over the same set gives the same decisions (caches hold no stale answers)', () => {
    const fresh = new PolicyEngine(set);
    for (const req of requests.slice(0, 500)) expect(fresh.evaluate(req)).toEqual(engine.evaluate(req));
  });
});
