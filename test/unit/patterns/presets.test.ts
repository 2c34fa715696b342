import { describe, expect, it } from 'vitest';
import { PolicyEngine, loadPolicyCases, loadPolicySet, runPolicyCases } from '../../../src/policy/index.js';
import { listPresets, presetCasesPath, presetPath, tenantContext, resourceNamingContext } from '../../../src/patterns/index.js';

const PRESETS = ['compliance', 'enterprise', 'hierarchical-budget', 'security-hardening', 'tenant-isolation'];

describe('presets', () => {
  it('ships the five presets of the seed', () => {
    expect(listPresets()).toEqual(PRESETS);
  });

  it('refuses unknown preset names with a suggestion', () => {
    expect(() => presetPath('enterprize')).toThrow(/unknown preset "enterprize", did you mean "enterprise"/);
    expect(() => presetCasesPath('../policy/x')).toThrow(/unknown preset/);
  });

  describe.each(PRESETS)('%s', (name) => {
    const set = loadPolicySet(presetPath(name));
    const engine = new PolicyEngine(set);
    // The library runner that `tollgate policy test` prints; loading validates every request.
    const loaded = loadPolicyCases(presetCasesPath(name));
    const cases = loaded.cases;
    const report = runPolicyCases(engine, loaded);

    it('has at least ten cases', () => {
      expect(cases.length).toBeGreaterThanOrEqual(10);
    });

    it.each(report.results.map((result) => [result.label, result] as const))('%s', (_, result) => {
      expect(result.passed, `expected ${result.expected}, got ${result.got}`).toBe(true);
    });

    it('fires every rule in at least one case, and the default effect in one', () => {
      const fired = new Set(report.results.map((result) => result.decision.rule));
      const silent = set.rules.map((rule) => rule.name).filter((rule) => !fired.has(rule));
      expect(silent).toEqual([]);
      expect(fired.has(null)).toBe(true);
    });

    it('puts an approvalTimeout on every require_approval rule', () => {
      const missing = set.rules.filter((rule) => rule.effect === 'require_approval' && typeof rule.metadata?.approvalTimeout !== 'string');
      expect(missing.map((rule) => rule.name)).toEqual([]);
    });

    it('lets managers, admins and security decide approvals, and nobody else', () => {
      const decide = (roles: string[]) => engine.evaluate({
        subject: { identifier: 'approver', roles, tags: { tenant_id: 'tenant_a' } },
        action: 'approval:decide',
        resource: 'dataset://tenant_a/sales',
        context: { ...tenantContext({ identifier: 'approver', tags: { tenant_id: 'tenant_a' } }, 'dataset://tenant_a/sales'), access_authorized: true },
      });
      for (const role of ['manager', 'admin', 'security']) expect(decide([role])).toMatchObject({ effect: 'allow', rule: 'approval_decide' });
      for (const roles of [['developer'], ['analyst'], []]) expect(decide(roles)).toMatchObject({ effect: 'deny', rule: 'approval_decide_other_roles' });
    });
  });

  // The tenant cases spell out the context the enrichers compute; keep them honest.
  it('tenant-isolation cases carry the context tenantContext and resourceNamingContext compute', () => {
    const tenantKeys = ['cross_tenant_access', 'tenant_verified', 'subject_tenant', 'resource_tenant', 'error'] as const;
    const namingKeys = ['resource_naming_valid', 'validation_message'] as const;
    let checked = 0;
    for (const { request } of loadPolicyCases(presetCasesPath('tenant-isolation')).cases) {
      const context = request.context ?? {};
      if ('cross_tenant_access' in context) {
        const computed = tenantContext(request.subject, request.resource) as Record<string, unknown>;
        for (const key of tenantKeys) expect([key, context[key]]).toEqual([key, computed[key]]);
        checked++;
      }
      if ('resource_naming_valid' in context) {
        const computed = resourceNamingContext(request.subject, request.resource) as Record<string, unknown>;
        for (const key of namingKeys) expect([key, context[key]]).toEqual([key, computed[key]]);
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  });
});
