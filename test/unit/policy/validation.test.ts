/** parsePolicySet / loadPolicySet validation: every problem, each with its path (and file:line when loaded). */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicySet, parsePolicySet, PolicyEngine, PolicyValidationError, type PolicyIssue } from '../../../src/index.js';

function issuesOf(run: () => unknown): PolicyIssue[] {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(PolicyValidationError);
  const error = thrown as PolicyValidationError;
  expect(error.issues.length).toBeGreaterThan(0);
  // the message lists every issue
  for (const issue of error.issues) expect(error.message).toContain(issue.message);
  return error.issues;
}

const parseIssues = (input: unknown) => issuesOf(() => parsePolicySet(input));
const withRules = (...rules: unknown[]) => ({ name: 'set', rules });
const ok = { name: 'ok', effect: 'allow' };

/** The single issue at `path`, asserting it is there. */
function at(issues: PolicyIssue[], path: string): PolicyIssue {
  const found = issues.filter((issue) => issue.path === path);
  expect(found, `issues: ${JSON.stringify(issues)}`).toHaveLength(1);
  return found[0];
}

describe('valid input', () => {
  it('parses a minimal set with the defaults filled in', () => {
    const set = parsePolicySet({ name: 'min', rules: [{ name: 'r', effect: 'deny' }] });
    expect(set.defaultEffect).toBe('deny');
    expect(set.rules[0].priority).toBe(100);
  });

  it('accepts every field', () => {
    const set = parsePolicySet({
      name: 'full', description: 'd', defaultEffect: 'require_approval',
      rules: [{
        name: 'r', description: 'x', effect: 'allow', actions: ['a:*'], resources: ['r://?'], subjects: ['role:a*', 'tag:k', 'tag:k=v*', 'id-[0-9]'],
        constraints: [{ key: 'a.b', equals: { x: [1] }, notEquals: null, anyOf: [1], notAnyOf: [2], exists: true, gt: 1, gte: 1, lt: 9, lte: 9, matches: '*' }],
        priority: -3.5, metadata: { any: ['thing'] },
      }],
    });
    expect(set.rules[0].constraints![0].equals).toEqual({ x: [1] });
    expect(() => new PolicyEngine(set)).not.toThrow();
  });
});

describe('parsePolicySet: each problem with its path', () => {
  it('unknown effect, with did-you-mean', () => {
    const issues = parseIssues(withRules(ok, { name: 'b', effect: 'alow' }));
    const issue = at(issues, 'rules[1].effect');
    expect(issue.message).toMatch(/alow/);
    expect(issue.message).toMatch(/did you mean "allow"/);
  });

  it('unknown effect without a close match still lists the valid ones', () => {
    const issue = at(parseIssues(withRules({ name: 'b', effect: 'permit-everything' })), 'rules[0].effect');
    expect(issue.message).toMatch(/allow/);
    expect(issue.message).toMatch(/require_approval/);
  });

  it('unknown defaultEffect', () => {
    const issue = at(parseIssues({ name: 's', defaultEffect: 'require_aproval', rules: [] }), 'defaultEffect');
    expect(issue.message).toMatch(/did you mean "require_approval"/);
  });

  it('wrong types: priority "high", actions "x"', () => {
    const issues = parseIssues(withRules({ name: 'r', effect: 'allow', priority: 'high', actions: 'x' }));
    expect(at(issues, 'rules[0].priority').message).toMatch(/number/);
    expect(at(issues, 'rules[0].priority').message).toMatch(/high/);
    expect(at(issues, 'rules[0].actions').message).toMatch(/list|array/);
  });

  it('wrong types elsewhere: resources element, subjects, metadata, constraint number tests, exists', () => {
    const issues = parseIssues(withRules({
      name: 'r', effect: 'allow', resources: ['ok', 7], subjects: 'alice', metadata: [1],
      constraints: [{ key: 'a', gt: '5' }, { key: 'b', exists: 'yes' }, { key: 'c', matches: 5 }, { key: 'd', anyOf: 'x' }],
    }));
    at(issues, 'rules[0].resources[1]');
    at(issues, 'rules[0].subjects');
    at(issues, 'rules[0].metadata');
    at(issues, 'rules[0].constraints[0].gt');
    at(issues, 'rules[0].constraints[1].exists');
    at(issues, 'rules[0].constraints[2].matches');
    at(issues, 'rules[0].constraints[3].anyOf');
  });

  it('missing name and empty name, for the set and for a rule', () => {
    const issues = parseIssues({ rules: [{ effect: 'allow' }, { name: '', effect: 'allow' }] });
    expect(at(issues, 'name').message).toMatch(/required/);
    expect(at(issues, 'rules[0].name').message).toMatch(/required/);
    expect(at(issues, 'rules[1].name').message).toMatch(/empty/);
    expect(at(parseIssues({ name: '', rules: [] }), 'name').message).toMatch(/empty/);
  });

  it('missing effect', () => {
    expect(at(parseIssues(withRules({ name: 'r' })), 'rules[0].effect').message).toMatch(/required|effect/);
  });

  it('missing rules', () => {
    expect(at(parseIssues({ name: 's' }), 'rules').message).toMatch(/required/);
  });

  it('not an object at all', () => {
    for (const input of [null, 'policy', 42, [1]]) {
      expect(parseIssues(input).length).toBeGreaterThan(0);
    }
  });

  it('duplicate rule names point at the later rule and name the earlier one', () => {
    const issues = parseIssues(withRules({ name: 'a', effect: 'allow' }, { name: 'b', effect: 'allow' }, { name: 'a', effect: 'deny' }));
    const issue = at(issues, 'rules[2].name');
    expect(issue.message).toMatch(/duplicate/);
    expect(issue.message).toMatch(/rules\[0\]/);
    expect(issues.some((i) => i.path === 'rules[0].name')).toBe(false);
  });

  it.each([
    ['actions', 'data:[read'],
    ['actions', ''],
    ['resources', 'r://a\\'],
    ['resources', 'r://[z-a]'],
  ])('invalid glob in %s: %j', (field, pattern) => {
    const issues = parseIssues(withRules({ name: 'r', effect: 'allow', [field]: ['ok:*', pattern] }));
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe(`rules[0].${field}[1]`);
    expect(issues[0].message).toMatch(/invalid glob|empty/);
  });

  it.each([
    ['role:[x', /unclosed/],
    ['tag:k=[x', /unclosed/],
    ['id-[', /unclosed/],
    ['', /empty/],
    ['role:', /role/],
    ['tag:', /tag key/],
    ['tag:=v', /tag key/],
    ['tag:k=', /no value/],
  ])('bad subject %j', (subject, message) => {
    const issues = parseIssues(withRules({ name: 'r', effect: 'allow', subjects: ['alice', subject] }));
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe('rules[0].subjects[1]');
    expect(issues[0].message).toMatch(message);
  });

  it('invalid glob in a constraint matches', () => {
    const issue = at(parseIssues(withRules({ name: 'r', effect: 'allow', constraints: [{ key: 'a', exists: true }, { key: 'b', matches: '[b' }] })), 'rules[0].constraints[1].matches');
    expect(issue.message).toMatch(/unclosed/);
  });

  it('a constraint with no test', () => {
    const issue = at(parseIssues(withRules({ name: 'r', effect: 'allow', constraints: [{ key: 'subject.attributes.team_id' }] })), 'rules[0].constraints[0]');
    expect(issue.message).toMatch(/no test/);
    expect(issue.message).toMatch(/equals/);
  });

  it('a constraint with a missing or empty key, or an empty dotted segment', () => {
    const issues = parseIssues(withRules({ name: 'r', effect: 'allow', constraints: [{ equals: 1 }, { key: '', equals: 1 }, { key: 'a..b', equals: 1 }] }));
    at(issues, 'rules[0].constraints[0].key');
    // (an empty key currently gets two issues at the same path: "must not be empty" and "empty path segment")
    expect(issues.filter((i) => i.path === 'rules[0].constraints[1].key').length).toBeGreaterThanOrEqual(1);
    expect(at(issues, 'rules[0].constraints[2].key').message).toMatch(/empty path segment/);
  });

  it('unknown keys at each level, with did-you-mean', () => {
    const issues = parseIssues({
      name: 's', defualtEffect: 'allow',
      rules: [{ name: 'r', effect: 'allow', priorty: 5, constraints: [{ key: 'a', equal: 1, exists: true }] }],
    });
    expect(at(issues, 'defualtEffect').message).toMatch(/unknown key.*did you mean "defaultEffect"/);
    expect(at(issues, 'rules[0].priorty').message).toMatch(/unknown key.*did you mean "priority"/);
    expect(at(issues, 'rules[0].constraints[0].equal').message).toMatch(/unknown key.*did you mean "equals"/);
  });

  it('an unknown key with no close match has no suggestion', () => {
    const issue = at(parseIssues(withRules({ name: 'r', effect: 'allow', zzzzzzzz: 1 })), 'rules[0].zzzzzzzz');
    expect(issue.message).toMatch(/unknown key/);
    expect(issue.message).not.toMatch(/did you mean/);
  });

  it('reports several errors together, across rules and levels', () => {
    const issues = parseIssues({
      name: '',
      defaultEffect: 'nope',
      rules: [
        { name: 'a', effect: 'alow', actions: ['[x'] },
        { name: 'a', effect: 'deny', priority: 'high', subjects: ['role:'] },
        { name: 'c', effect: 'allow', constraints: [{ key: 'k' }], colour: 'red' },
      ],
    });
    const paths = issues.map((i) => i.path).sort();
    expect(paths).toEqual([
      'defaultEffect',
      'name',
      'rules[0].actions[0]',
      'rules[0].effect',
      'rules[1].name',
      'rules[1].priority',
      'rules[1].subjects[0]',
      'rules[2].colour',
      'rules[2].constraints[0]',
    ].sort());
  });
});

describe('loadPolicySet', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-policy-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('loads equivalent YAML and JSON files to the same set', () => {
    const yamlFile = write('good.yaml', [
      'name: files',
      'rules:',
      '  - name: r1',
      '    effect: allow',
      '    actions: ["data:*"]',
      '    constraints:',
      '      - { key: size, lt: 10 }',
    ].join('\n'));
    const jsonFile = write('good.json', JSON.stringify({ rules: [{ effect: 'allow', name: 'r1', constraints: [{ lt: 10, key: 'size' }], actions: ['data:*'] }], name: 'files' }, null, 2));
    const fromYaml = loadPolicySet(yamlFile);
    const fromJson = loadPolicySet(jsonFile);
    expect(fromYaml).toEqual(fromJson);
    expect(new PolicyEngine(fromYaml).version).toBe(new PolicyEngine(fromJson).version);
    expect(new PolicyEngine(fromYaml).evaluate({ subject: { identifier: 'u' }, action: 'data:read', resource: 'x', context: { size: 3 } }).rule).toBe('r1');
  });

  it('YAML issues carry the file and line', () => {
    const file = write('bad.yaml', [
      'name: bad',            // 1
      'rules:',               // 2
      '  - name: first',      // 3
      '    effect: allow',    // 4
      '  - name: second',     // 5
      '    effect: alow',     // 6
      '    priority: high',   // 7
      '    constraints:',     // 8
      '      - key: size',    // 9
      '        matches: "[x"', // 10
      '  - name: first',      // 11
      '    effect: deny',     // 12
      '    priorty: 3',       // 13
    ].join('\n'));
    const issues = issuesOf(() => loadPolicySet(file));
    for (const issue of issues) expect(issue.file).toBe(file);
    expect(at(issues, 'rules[1].effect').line).toBe(6);
    expect(at(issues, 'rules[1].priority').line).toBe(7);
    expect(at(issues, 'rules[1].constraints[0].matches').line).toBe(10);
    expect(at(issues, 'rules[2].name').line).toBe(11);
    expect(at(issues, 'rules[2].priorty').line).toBe(13);
    expect(issues).toHaveLength(5);
  });

  it('a missing key points at the object that lacks it', () => {
    const file = write('missing.yaml', ['name: m', 'rules:', '  - name: ok', '    effect: allow', '  - name: no-effect', '    priority: 1'].join('\n'));
    const issue = at(issuesOf(() => loadPolicySet(file)), 'rules[1].effect');
    expect(issue.line).toBe(5);
    expect(issue.file).toBe(file);
  });

  it('JSON issues carry the file and line', () => {
    const file = write('bad.json', [
      '{',                                   // 1
      '  "name": "bad",',                    // 2
      '  "rules": [',                        // 3
      '    {',                               // 4
      '      "name": "r",',                  // 5
      '      "effect": "allow",',            // 6
      '      "actions": "data:read"',        // 7
      '    },',                              // 8
      '    {',                               // 9
      '      "name": "r",',                  // 10
      '      "effect": "deny",',             // 11
      '      "subjects": ["tag:"]',          // 12
      '    }',                               // 13
      '  ]',                                 // 14
      '}',                                   // 15
    ].join('\n'));
    const issues = issuesOf(() => loadPolicySet(file));
    for (const issue of issues) expect(issue.file).toBe(file);
    expect(at(issues, 'rules[0].actions').line).toBe(7);
    expect(at(issues, 'rules[1].name').line).toBe(10);
    expect(at(issues, 'rules[1].subjects[0]').line).toBe(12);
    expect(issues).toHaveLength(3);
  });

  it('a missing file is a validation error naming the file', () => {
    const file = join(dir, 'does-not-exist.yaml');
    const issues = issuesOf(() => loadPolicySet(file));
    expect(issues).toHaveLength(1);
    expect(issues[0].file).toBe(file);
    expect(issues[0].message).toMatch(/no such file/);
  });

  // BUG (src/policy/load.ts parsePolicyText): the document is parsed with `prettyErrors: false`, and the
  // yaml package only fills `error.linePos` when prettyErrors is on, so `line: error.linePos?.[0]?.line`
  // is always undefined for syntax errors. The next three tests fail on `line` until that is fixed
  // (e.g. `line: counter.linePos(error.pos[0]).line`).
  it('invalid YAML is a validation error with the line', () => {
    const file = write('broken.yaml', ['name: broken', 'rules:', '  - name: r', '    effect: [allow', '  - x'].join('\n'));
    const issues = issuesOf(() => loadPolicySet(file));
    expect(issues[0].file).toBe(file);
    expect(issues[0].message).toMatch(/not valid YAML/);
    expect(issues[0].line).toBeGreaterThanOrEqual(4);
  });

  it('invalid JSON is a validation error', () => {
    const file = write('broken.json', '{\n  "name": "x",\n  "rules": [\n    { "name": "r", "effect": "allow" \n  ]\n}');
    const issues = issuesOf(() => loadPolicySet(file));
    expect(issues[0].file).toBe(file);
    expect(issues[0].message).toMatch(/not valid YAML or JSON/);
    expect(issues.map((i) => i.line)).toContain(5); // the ']' where a '}' was due
  });

  it('duplicate keys in YAML are refused rather than silently overwritten', () => {
    const file = write('dupkey.yaml', ['name: d', 'rules:', '  - name: r', '    effect: deny', '    effect: allow'].join('\n'));
    const issues = issuesOf(() => loadPolicySet(file));
    expect(issues[0].file).toBe(file);
    expect(issues[0].message).toMatch(/unique/);
    expect(issues[0].line).toBe(5);
  });
});

describe('new PolicyEngine(plain object)', () => {
  it('validates a set that did not come through parsePolicySet, with the same messages', () => {
    const raw = { name: 'js', rules: [{ name: 'r', effect: 'alow', actions: ['data:read'] }] } as never;
    const issues = issuesOf(() => new PolicyEngine(raw));
    expect(issues[0]).toMatchObject({ path: 'rules[0].effect' });
    expect(issues[0].message).toContain('did you mean "allow"');
  });

  it('refuses a bad glob and a missing name from JavaScript too', () => {
    expect(issuesOf(() => new PolicyEngine({ name: 'js', rules: [{ name: 'r', effect: 'deny', resources: ['[a'] }] } as never))[0].path).toBe('rules[0].resources[0]');
    expect(issuesOf(() => new PolicyEngine({ rules: [] } as never))[0].path).toBe('name');
  });

  it('accepts what parsePolicySet returned, and a valid plain object, alike', () => {
    const plain = { name: 'js', rules: [{ name: 'r', effect: 'allow', actions: ['data:read'] }] };
    const request = { subject: { identifier: 'u' }, action: 'data:read', resource: 'x' };
    expect(new PolicyEngine(plain as never).evaluate(request).rule).toBe('r');
    expect(new PolicyEngine(parsePolicySet(plain)).version).toBe(new PolicyEngine(plain as never).version);
  });
});
