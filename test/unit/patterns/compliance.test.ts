import { describe, expect, it } from 'vitest';
import { loadPolicySet } from '../../../src/policy/index.js';
import {
  COMPLIANCE_FRAMEWORKS, COMPLIANCE_REQUIREMENTS, complianceReport, parseComplianceFramework, requirementsFor,
  type ComplianceEvent,
} from '../../../src/patterns/compliance.js';
import { presetPath } from '../../../src/patterns/presets.js';

const now = new Date('2025-03-31T12:00:00Z');
const decision = (rule: string | null, effect: 'allow' | 'deny' | 'require_approval', at: string | Date, operationId?: string): ComplianceEvent =>
  ({ type: 'policy_decision', rule, effect, at, ...(operationId ? { operationId } : {}) });
const approval = (operationId: string, outcome: 'approved' | 'rejected' | 'expired' | 'cancelled', at: string, rule?: string): ComplianceEvent =>
  ({ type: 'approval_decision', operationId, outcome, at, ...(rule ? { rule } : {}) });

describe('requirement catalog', () => {
  it('covers every framework of the seed, ISO 27001 included', () => {
    expect(COMPLIANCE_FRAMEWORKS).toEqual(['gdpr', 'hipaa', 'pci_dss', 'soc2', 'iso27001']);
    for (const framework of COMPLIANCE_FRAMEWORKS) expect(requirementsFor(framework).length).toBeGreaterThan(0);
  });

  it('names only rules of the compliance preset, which point back at the requirement', () => {
    const rules = new Map(loadPolicySet(presetPath('compliance')).rules.map((rule) => [rule.name, rule]));
    for (const requirement of COMPLIANCE_REQUIREMENTS) {
      for (const name of requirement.rules) {
        expect(rules.has(name), `${requirement.requirementId} -> ${name}`).toBe(true);
        expect(rules.get(name)?.metadata?.requirements).toContain(requirement.requirementId);
      }
    }
  });

  it('has unique requirement ids', () => {
    const ids = COMPLIANCE_REQUIREMENTS.map((r) => r.requirementId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('parseComplianceFramework', () => {
  it('accepts names in any case and with dashes', () => {
    expect(parseComplianceFramework('GDPR')).toBe('gdpr');
    expect(parseComplianceFramework('pci-dss')).toBe('pci_dss');
  });

  it('suggests the closest name', () => {
    expect(() => parseComplianceFramework('hipa')).toThrow(/did you mean "hipaa"/);
    expect(() => parseComplianceFramework('sox')).toThrow(/one of gdpr, hipaa, pci_dss, soc2, iso27001/);
  });
});

describe('complianceReport', () => {
  it('reports every requirement as requires_review when nothing evidences it', () => {
    const report = complianceReport('gdpr', [], now);
    expect(report.framework).toBe('gdpr');
    expect(report.generatedAt).toBe('2025-03-31T12:00:00.000Z');
    expect(report.requirements.map((r) => [r.requirementId, r.status])).toEqual([
      ['GDPR-Art6', 'requires_review'],
      ['GDPR-Art17', 'requires_review'],
    ]);
    expect(report.summary).toEqual({ totalRequirements: 2, compliant: 0, nonCompliant: 0, requiresReview: 2 });
  });

  it('marks a requirement non_compliant when one of its rules denied, and lists the violations', () => {
    const denied = decision('gdpr_legal_basis', 'deny', '2025-03-10T09:00:00Z');
    const report = complianceReport('gdpr', [
      decision('gdpr_legal_basis', 'allow', '2025-03-09T09:00:00Z'),
      denied,
      decision('gdpr_right_to_erasure', 'allow', '2025-03-11T09:00:00Z'),
      decision('pci_encryption_required', 'deny', '2025-03-11T09:00:00Z'),
    ], now);
    const [art6, art17] = report.requirements;
    expect(art6).toMatchObject({ status: 'non_compliant', violations: [denied], evidence: { decisions: 2, allowed: 1, denied: 1 } });
    expect(art6.finding).toMatch(/1 request was denied by gdpr_legal_basis/);
    expect(art17).toMatchObject({ status: 'compliant', violations: [], evidence: { decisions: 1, allowed: 1, denied: 0 } });
    expect(art17.evidenceNeeded).toEqual(['erasure_request', 'deletion_confirmation']);
    expect(report.summary).toEqual({ totalRequirements: 2, compliant: 1, nonCompliant: 1, requiresReview: 0 });
  });

  it('keeps a requirement under review while an approval it required is pending', () => {
    const events = [
      decision('hipaa_phi_access_control', 'require_approval', '2025-03-01T10:00:00Z', 'op-1'),
      approval('op-1', 'approved', '2025-03-01T11:00:00Z'),
      decision('hipaa_phi_access_control', 'require_approval', '2025-03-02T10:00:00Z', 'op-2'),
    ];
    const [pending] = complianceReport('hipaa', events, now).requirements;
    expect(pending).toMatchObject({ status: 'requires_review', evidence: { approvalRequired: 2, approved: 1, pendingApprovals: 1 } });

    const [resolved] = complianceReport('hipaa', [...events, approval('op-2', 'rejected', '2025-03-02T12:00:00Z')], now).requirements;
    expect(resolved).toMatchObject({ status: 'compliant', evidence: { approvalRequired: 2, approved: 1, rejected: 1, pendingApprovals: 0 } });
  });

  it('cannot resolve a require_approval decision without an operation id', () => {
    const [requirement] = complianceReport('hipaa', [
      decision('hipaa_phi_access_control', 'require_approval', '2025-03-01T10:00:00Z'),
      approval('op-9', 'approved', '2025-03-01T11:00:00Z', 'hipaa_phi_access_control'),
    ], now).requirements;
    expect(requirement).toMatchObject({ status: 'requires_review', evidence: { approved: 1, pendingApprovals: 1 } });
  });

  it('counts decisions of every rule behind a requirement', () => {
    const [requirement] = complianceReport('hipaa', [
      decision('hipaa_phi_preconditions_missing', 'deny', '2025-03-05T10:00:00Z'),
    ], now).requirements;
    expect(requirement.status).toBe('non_compliant');
  });

  it('reports ISO 27001 from the access-control and audit-logging rules', () => {
    const report = complianceReport('iso27001', [
      decision('soc2_access_control', 'deny', '2025-03-05T10:00:00Z'),
      decision('require_audit_logging', 'allow', '2025-03-05T10:00:00Z'),
    ], now);
    expect(report.requirements.map((r) => [r.requirementId, r.status])).toEqual([
      ['ISO27001-A.9.4.1', 'non_compliant'],
      ['ISO27001-A.12.4.1', 'compliant'],
    ]);
  });

  it('ignores events of other rules, after now, before since, or with unreadable times', () => {
    const events = [
      decision('soc2_access_control', 'deny', '2025-02-01T00:00:00Z'),
      decision('soc2_access_control', 'deny', '2025-04-01T00:00:00Z'),
      decision('soc2_access_control', 'deny', 'yesterday'),
      decision(null, 'deny', '2025-03-20T00:00:00Z'),
      decision('soc2_access_control', 'allow', new Date('2025-03-20T00:00:00Z')),
    ];
    const report = complianceReport('soc2', events, now, { since: new Date('2025-03-01T00:00:00Z') });
    expect(report.period).toEqual({ from: '2025-03-01T00:00:00.000Z', to: '2025-03-31T12:00:00.000Z' });
    expect(report.requirements[0]).toMatchObject({ status: 'compliant', evidence: { decisions: 1, allowed: 1, denied: 0 } });
  });
});
