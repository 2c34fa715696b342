/** explain(): which rules were tried, in evaluation order, and why each failed, matched or was not reached. */
import { describe, expect, it } from 'vitest';
import { parsePolicySet, PolicyEngine, type ExplainStep, type PolicyRequest } from '../../../src/index.js';

const engine = new PolicyEngine(parsePolicySet({
  name: 'explained',
  defaultEffect: 'require_approval',
  rules: [
    // declared out of order on purpose: explain lists rules in evaluation order
    { name: 'catch-all', effect: 'allow', priority: 900 },
    { name: 'writes-only', effect: 'deny', actions: ['data:write', 'data:delete'], priority: 10 },
    { name: 'other-bucket', effect: 'deny', resources: ['s3://other/*'], priority: 20 },
    { name: 'admins', effect: 'allow', subjects: ['role:admin', 'root'], priority: 30 },
    { name: 'needs-ticket', effect: 'allow', constraints: [{ key: 'ticket', exists: true }], priority: 40 },
    { name: 'small-exports', effect: 'allow', constraints: [{ key: 'team', equals: 'data' }, { key: 'size', lt: 1000 }], priority: 50 },
    { name: 'full-match', description: 'reads by analysts', effect: 'allow', actions: ['data:read'], resources: ['s3://main/*'], subjects: ['role:analyst'], constraints: [{ key: 'size', gte: 0 }], priority: 60 },
  ],
}));

const ORDER = ['writes-only', 'other-bucket', 'admins', 'needs-ticket', 'small-exports', 'full-match', 'catch-all'];

const request = (over: Partial<PolicyRequest> = {}): PolicyRequest => ({
  subject: { identifier: 'ann', roles: ['analyst'] },
  action: 'data:read',
  resource: 's3://main/report.csv',
  context: { team: 'data', size: 5000 },
  ...over,
});

const stepOf = (steps: ExplainStep[], rule: string) => {
  const step = steps.find((s) => s.rule === rule);
  expect(step, rule).toBeDefined();
  return step!;
};

describe('explain', () => {
  it('lists every rule in evaluation order with its priority and effect', () => {
    const { steps } = engine.explain(request());
    expect(steps.map((s) => s.rule)).toEqual(ORDER);
    expect(stepOf(steps, 'writes-only')).toMatchObject({ priority: 10, effect: 'deny' });
    expect(stepOf(steps, 'catch-all')).toMatchObject({ priority: 900, effect: 'allow' });
  });

  it('action mismatch names the action and the patterns', () => {
    const step = stepOf(engine.explain(request()).steps, 'writes-only');
    expect(step.outcome).toBe('not_matched');
    expect(step.reason).toMatch(/action/);
    expect(step.reason).toContain('data:read');
    expect(step.reason).toContain('data:write');
    expect(step.reason).toContain('data:delete');
  });

  it('resource mismatch names the resource and the patterns', () => {
    const step = stepOf(engine.explain(request()).steps, 'other-bucket');
    expect(step.outcome).toBe('not_matched');
    expect(step.reason).toMatch(/resource/);
    expect(step.reason).toContain('s3://main/report.csv');
    expect(step.reason).toContain('s3://other/*');
  });

  it('subject mismatch names the subject, its roles and the patterns', () => {
    const step = stepOf(engine.explain(request()).steps, 'admins');
    expect(step.outcome).toBe('not_matched');
    expect(step.reason).toMatch(/subject/);
    expect(step.reason).toContain('ann');
    expect(step.reason).toContain('analyst');
    expect(step.reason).toContain('role:admin');
  });

  it('constraint with a missing value says it is missing', () => {
    const step = stepOf(engine.explain(request()).steps, 'needs-ticket');
    expect(step.outcome).toBe('not_matched');
    expect(step.reason).toContain('ticket');
    expect(step.reason).toMatch(/missing/);
  });

  it('constraint with a failing value names the first failing constraint, the test and the value', () => {
    const step = stepOf(engine.explain(request()).steps, 'small-exports');
    expect(step.outcome).toBe('not_matched');
    expect(step.reason).toContain('size');
    expect(step.reason).toContain('lt');
    expect(step.reason).toContain('1000');
    expect(step.reason).toContain('5000');
    expect(step.reason).not.toMatch(/missing/);
    // the earlier constraint failing is reported instead
    const other = stepOf(engine.explain(request({ context: { team: 'ops', size: 1 } })).steps, 'small-exports');
    expect(other.reason).toContain('team');
    expect(other.reason).toContain('"ops"');
    expect(other.reason).not.toContain('size');
  });

  it('matched (with conditions), then not_reached for every later rule', () => {
    const { decision, steps } = engine.explain(request());
    const matched = stepOf(steps, 'full-match');
    expect(matched.outcome).toBe('matched');
    expect(matched.reason).toMatch(/action/);
    expect(matched.reason).toMatch(/constraint/);
    const after = steps.slice(steps.indexOf(matched) + 1);
    expect(after.map((s) => s.rule)).toEqual(['catch-all']);
    for (const step of after) {
      expect(step.outcome).toBe('not_reached');
      expect(step.reason).toContain('full-match');
    }
    for (const step of steps.slice(0, steps.indexOf(matched))) expect(step.outcome).toBe('not_matched');
    expect(decision).toMatchObject({ effect: 'allow', rule: 'full-match', reason: 'reads by analysts' });
  });

  it('matched without conditions', () => {
    const { decision, steps } = engine.explain(request({ subject: { identifier: 'bob', roles: ['viewer'] } }));
    const matched = stepOf(steps, 'catch-all');
    expect(matched.outcome).toBe('matched');
    expect(matched.reason).toMatch(/no conditions/);
    expect(decision.rule).toBe('catch-all');
    expect(steps.filter((s) => s.outcome === 'matched')).toHaveLength(1);
  });

  it('an earlier match leaves all the others not_reached', () => {
    const { decision, steps } = engine.explain(request({ action: 'data:delete' }));
    expect(decision.rule).toBe('writes-only');
    expect(steps[0]).toMatchObject({ rule: 'writes-only', outcome: 'matched' });
    expect(steps.slice(1).every((s) => s.outcome === 'not_reached')).toBe(true);
  });

  it('the default decides when nothing matches, and every rule is not_matched', () => {
    const strict = new PolicyEngine(parsePolicySet({
      name: 'strict', defaultEffect: 'require_approval',
      rules: [{ name: 'a', effect: 'allow', actions: ['x'] }, { name: 'b', effect: 'deny', resources: ['y'] }],
    }));
    const { decision, steps } = strict.explain(request());
    expect(decision).toMatchObject({ effect: 'require_approval', rule: null });
    expect(decision.reason).toMatch(/default/);
    expect(steps.map((s) => s.outcome)).toEqual(['not_matched', 'not_matched']);
  });

  it('explains an empty set with no steps and the default decision', () => {
    const empty = new PolicyEngine(parsePolicySet({ name: 'empty', rules: [] }));
    expect(empty.explain(request())).toEqual({ decision: empty.evaluate(request()), steps: [] });
    expect(empty.explain(request()).decision.effect).toBe('deny');
  });

  it('its decision equals evaluate for a spread of requests', () => {
    const requests: PolicyRequest[] = [
      request(),
      request({ action: 'data:write' }),
      request({ resource: 's3://other/x' }),
      request({ subject: { identifier: 'root' } }),
      request({ context: { ticket: 'T-1' }, subject: { identifier: 'x' } }),
      request({ context: { team: 'data', size: 10 }, subject: { identifier: 'x' } }),
      request({ subject: { identifier: 'bob' } }),
      request({ context: {} }),
    ];
    const rules = requests.map((r) => {
      const explained = engine.explain(r);
      expect(explained.decision).toEqual(engine.evaluate(r));
      return explained.decision.rule;
    });
    expect(rules).toEqual(['full-match', 'writes-only', 'other-bucket', 'admins', 'needs-ticket', 'small-exports', 'catch-all', 'catch-all']);
  });
});
