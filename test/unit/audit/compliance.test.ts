import { describe, expect, it } from 'vitest';
import {
  approvalDecisionEntry, complianceEvents, operationStartedEntry, policyDecisionEntry, type AuditEntry, type AuditEntryInput,
} from '../../../src/audit/index.js';
import { complianceReport } from '../../../src/patterns/compliance.js';
import { PolicyEngine, loadPolicySet } from '../../../src/policy/index.js';
import { presetPath } from '../../../src/patterns/presets.js';
import { buildChain } from './chainFixtures.js';

const engine = new PolicyEngine(loadPolicySet(presetPath('compliance')));
const now = new Date('2025-03-31T12:00:00Z');

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
