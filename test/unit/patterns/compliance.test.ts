import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  approvalDecisionEntry, operationStartedEntry, policyDecisionEntry, type AuditEntry, type AuditEntryInput, type ChainVerification,
} from '../../../src/audit/index.js';
import { formatComplianceMarkdown, formatComplianceReport } from '../../../src/cli/compliance.js';
import { PolicyEngine, loadPolicySet } from '../../../src/policy/index.js';
import {
  COMPLIANCE_FRAMEWORKS, COMPLIANCE_REQUIREMENTS, complianceEvents, complianceReport, loadComplianceRegistry, parseComplianceFramework,
  requirementsFor, type ComplianceEvent,
} from '../../../src/patterns/compliance.js';
import { presetPath } from '../../../src/patterns/presets.js';
import { buildChain } from '../audit/chainFixtures.js';

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

const engine = new PolicyEngine(loadPolicySet(presetPath('compliance')));

function chainOf(inputs: AuditEntryInput[]): AuditEntry[] {
  return buildChain(inputs.length, (i) => inputs[i - 1]);
}

describe('complianceEvents', () => {
  it('turns a deny by a compliance rule into a violation that makes the report non_compliant', () => {
    const request = { subject: { identifier: 'alice' }, action: 'data:process', resource: 'dataset://personal_data/users', context: {} };
    const decision = engine.evaluate(request);
    expect(decision).toMatchObject({ effect: 'deny', rule: 'gdpr_legal_basis' });
    const entries = chainOf([
      operationStartedEntry({ operationId: 'op-0' }, {}, '2025-03-10T00:00:00Z'),
      policyDecisionEntry('op-1', request, decision, '2025-03-10T10:00:00Z'),
    ]);

    const events = complianceEvents(entries);
    expect(events).toEqual([{
      type: 'policy_decision', rule: 'gdpr_legal_basis', effect: 'deny', at: '2025-03-10T10:00:00.000Z', seq: 2, hash: entries[1].hash,
      operationId: 'op-1', actor: 'alice', action: 'data:process', resource: 'dataset://personal_data/users', reason: decision.reason,
    }]);
    const report = complianceReport('gdpr', events, now);
    const art6 = report.requirements.find((r) => r.requirementId === 'GDPR-Art6');
    expect(art6?.status).toBe('non_compliant');
    expect(art6?.violations[0]).toMatchObject({ seq: 2, operationId: 'op-1' });
    expect(report.summary.nonCompliant).toBe(1);
  });

  it('pairs an approval the rule required with its outcome through the operation id', () => {
    const request = {
      subject: { identifier: 'carol', attributes: { hipaa_training: true } }, action: 'data:read', resource: 'dataset://phi/records',
      context: { medical_necessity: true },
    };
    const decision = engine.evaluate(request);
    expect(decision).toMatchObject({ effect: 'require_approval', rule: 'hipaa_phi_access_control' });
    const requested = chainOf([policyDecisionEntry('op-2', request, decision, '2025-03-11T10:00:00Z')]);
    expect(complianceReport('hipaa', complianceEvents(requested), now).requirements[0]).toMatchObject({ status: 'requires_review' });

    const resolved = chainOf([
      policyDecisionEntry('op-2', request, decision, '2025-03-11T10:00:00Z'),
      approvalDecisionEntry({ operationId: 'op-2' }, 'approved', { decidedBy: 'dave' }, '2025-03-11T11:00:00Z'),
    ]);
    const events = complianceEvents(resolved);
    expect(events[1]).toMatchObject({ type: 'approval_decision', outcome: 'approved', operationId: 'op-2', actor: 'dave' });
    expect(complianceReport('hipaa', events, now).requirements[0]).toMatchObject({ status: 'compliant', evidence: { approved: 1, pendingApprovals: 0 } });
  });

  it('leaves out entries a report does not read, and outcomes it does not know', () => {
    const entries = buildChain(3);
    const odd: AuditEntry = { ...entries[0], type: 'policy_decision', outcome: 'maybe' };
    expect(complianceEvents([...entries, odd])).toEqual([]);
  });
});

describe('layering', () => {
  it('src/audit imports nothing from src/patterns (patterns may read the audit trail, not the reverse)', () => {
    const dir = fileURLToPath(new URL('../../../src/audit/', import.meta.url));
    const offenders = readdirSync(dir).filter((file) => file.endsWith('.ts') && /from '\.\.\/patterns\//.test(readFileSync(join(dir, file), 'utf8')));
    expect(offenders).toEqual([]);
  });
});

function registryFile(yaml: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tollgate-compliance-')), 'compliance.yaml');
  writeFileSync(file, yaml);
  return file;
}

describe('loadComplianceRegistry', () => {
  it('adds requirements and frameworks to the seed, and replaces a seed requirement by id', () => {
    const registry = loadComplianceRegistry(registryFile(`
requirements:
  - framework: NIS2
    requirementId: NIS2-Art21
    description: Cybersecurity risk-management measures
    rules: [require_audit_logging]
    evidenceNeeded: [risk_assessment]
  - framework: soc2
    requirementId: SOC2-CC6.1
    description: Logical access controls (our rules)
    rules: [our_access_rule]
`));
    expect(registry.frameworks).toEqual(['gdpr', 'hipaa', 'pci_dss', 'soc2', 'iso27001', 'nis2']);
    expect(parseComplianceFramework('nis2', registry)).toBe('nis2');
    expect(requirementsFor('nis2', registry)).toEqual([{
      framework: 'nis2', requirementId: 'NIS2-Art21', description: 'Cybersecurity risk-management measures', rules: ['require_audit_logging'],
      evidenceNeeded: ['risk_assessment'],
    }]);
    expect(requirementsFor('soc2', registry)).toMatchObject([{ requirementId: 'SOC2-CC6.1', rules: ['our_access_rule'], evidenceNeeded: [] }]);
    expect(registry.requirements).toHaveLength(COMPLIANCE_REQUIREMENTS.length + 1);
    // The report follows the registry: the seed rule no longer evidences SOC2-CC6.1, ours does.
    const report = complianceReport('soc2', [decision('our_access_rule', 'allow', '2025-03-02T00:00:00Z')], now, { registry });
    expect(report.requirements[0]).toMatchObject({ requirementId: 'SOC2-CC6.1', status: 'compliant' });
    expect(() => parseComplianceFramework('nis2')).toThrow(/unknown compliance framework "nis2"/);
  });

  it('starts from nothing with seed: false', () => {
    const registry = loadComplianceRegistry(registryFile('seed: false\nrequirements:\n  - { framework: dora, requirementId: DORA-1, description: ICT risk, rules: [r] }\n'));
    expect(registry.frameworks).toEqual(['dora']);
  });

  it('names the file and the field of what is wrong', () => {
    const missingRules = registryFile('requirements:\n  - { framework: soc2, requirementId: X-1, description: d, rules: [] }\n');
    expect(() => loadComplianceRegistry(missingRules)).toThrow(`${missingRules}: requirements[0].rules: name at least one policy rule`);
    const typo = registryFile('requirements:\n  - { framework: soc2, requirementId: X-1, description: d, rule: [a] }\n');
    expect(() => loadComplianceRegistry(typo)).toThrow(new RegExp(`^${typo.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: requirements\\[0\\]`));
    const twice = registryFile('requirements:\n  - { framework: soc2, requirementId: X-1, description: d, rules: [a] }\n  - { framework: soc2, requirementId: X-1, description: e, rules: [b] }\n');
    expect(() => loadComplianceRegistry(twice)).toThrow(`${twice}: requirements[1].requirementId: "X-1" is already defined at requirements[0]`);
    const bad = registryFile('requirements: [');
    expect(() => loadComplianceRegistry(bad)).toThrow(new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid YAML`));
    expect(() => loadComplianceRegistry('/nonexistent/compliance.yaml')).toThrow(/^\/nonexistent\/compliance.yaml: cannot read the compliance registry \(ENOENT\)/);
  });
});

describe('report formats', () => {
  const chain: ChainVerification = { ok: true, entries: 3, last: { seq: 3, hash: 'c'.repeat(64) } };
  const events: ComplianceEvent[] = [
    { ...decision('soc2_access_control', 'deny', '2025-03-10T09:00:00Z', 'op-9'), seq: 2, hash: 'a'.repeat(64), actor: 'mallory', action: 'data:read', resource: 'dataset://x|y' },
  ];

  it('text: a status as long as REQUIRES_REVIEW never runs into the requirement id', () => {
    const review = formatComplianceReport(complianceReport('soc2', [], now), chain);
    expect(review).toContain('REQUIRES_REVIEW  SOC2-CC6.1  Logical and physical access controls');
    expect(review).not.toMatch(/REQUIRES_REVIEWSOC2/);
    const mixed = formatComplianceReport(complianceReport('gdpr', [decision('gdpr_legal_basis', 'deny', '2025-03-10T09:00:00Z')], now), chain);
    // Columns line up whatever the statuses are.
    expect(mixed).toContain('  NON_COMPLIANT    GDPR-Art6   Data processing requires legal basis');
    expect(mixed).toContain('  REQUIRES_REVIEW  GDPR-Art17  Right to erasure (right to be forgotten)');
  });

  it('md: summary, a requirements table with evidence counts, violations with entry seq and hash, the chain result', () => {
    const md = formatComplianceMarkdown(complianceReport('soc2', events, now), chain);
    expect(md).toMatch(/^# SOC2 compliance report\n/);
    expect(md).toContain('- Requirements: 1 (0 compliant, 1 non-compliant, 0 requiring review)');
    expect(md).toContain('- Audit chain: verified (3 entries)');
    expect(md).toContain('| SOC2-CC6.1 | Logical and physical access controls | Non-compliant | 1 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0 |');
    // A pipe in a value is escaped, so it cannot add a column.
    expect(md).toContain(`| SOC2-CC6.1 | 2 | \`${'a'.repeat(64)}\` | 2025-03-10T09:00:00Z | \`op-9\` | mallory | \`data:read\` | \`dataset://x\\|y\` | \`soc2_access_control\` |`);
    expect(md).toContain('- SOC2-CC6.1: `access_control_matrix`, `access_logs`, `review_records`');
    expect(md).toContain(`\`\`\`\naudit chain ok: 3 entries, last 3 hash ${'c'.repeat(64)}\n\`\`\``);
    const clean = formatComplianceMarkdown(complianceReport('soc2', [], now), { ...chain, ok: false, firstBroken: { seq: 2, reason: 'x' } });
    expect(clean).toContain('None in the period.');
    expect(clean).toContain('- Audit chain: **BROKEN** (3 entries)');
  });
});
