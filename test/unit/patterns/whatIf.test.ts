import { describe, expect, it } from 'vitest';
import { whatIf } from '../../../src/patterns/whatIf.js';
import { PolicyEngine } from '../../../src/policy/engine.js';
import { parsePolicySet } from '../../../src/policy/schema.js';
import { policyDecisionEntry } from '../../../src/audit/entries.js';
import { prepareAuditEntry } from '../../../src/audit/normalise.js';
import type { AuditEntry } from '../../../src/audit/types.js';

const current = new PolicyEngine(parsePolicySet({
  name: 'current',
  rules: [
    { name: 'analysts_read', effect: 'allow', actions: ['data:read'], subjects: ['role:analyst'] },
    { name: 'exports_need_approval', effect: 'require_approval', actions: ['data:export'] },
  ],
}));
const stricter = new PolicyEngine(parsePolicySet({
  name: 'stricter',
  rules: [
    { name: 'no_pii_reads', effect: 'deny', actions: ['data:read'], resources: ['dataset://pii/*'] },
    { name: 'analysts_read', effect: 'allow', actions: ['data:read'], subjects: ['role:analyst'] },
    { name: 'token_gate', effect: 'deny', actions: ['data:export'], constraints: [{ key: 'api_token', exists: true }] },
    { name: 'exports_need_approval', effect: 'require_approval', actions: ['data:export'] },
  ],
}));

/** What the audit trail holds for a request: the entry as stored, context redacted. */
function recorded(id: string, request: Parameters<PolicyEngine['evaluate']>[0]): AuditEntry {
  const prepared = prepareAuditEntry(policyDecisionEntry(id, request, current.evaluate(request)), () => new Date('2026-11-30T10:00:00Z'));
  return { ...prepared, seq: 1, prevHash: '0', hash: '0' };
}

describe('what-if replay of recorded decisions', () => {
  const analyst = { identifier: 'ann', roles: ['analyst'] };
  const history = [
    recorded('op-1', { subject: analyst, action: 'data:read', resource: 'dataset://sales' }),
    recorded('op-2', { subject: analyst, action: 'data:read', resource: 'dataset://pii/users' }),
    recorded('op-3', { subject: analyst, action: 'data:read', resource: 'dataset://pii/claims' }),
    recorded('op-4', { subject: analyst, action: 'data:export', resource: 'dataset://sales', context: { api_token: 'tg_secretsecretsecretsecretsecretsecretsecret1' } }),
    recorded('op-5', { subject: analyst, action: 'data:export', resource: 'dataset://sales' }),
  ];

  it('reports each decision that would change, counted by rule pair, and the unchanged ones', () => {
    const report = whatIf(stricter, history);
    expect(report).toMatchObject({ candidate: { name: 'stricter' }, replayed: 5, same: 2 });
    expect(report.changed.map((c) => c.recorded.operationId)).toEqual(['op-2', 'op-3']);
    expect(report.byRulePair).toEqual([{ from: { effect: 'allow', rule: 'analysts_read' }, to: { effect: 'deny', rule: 'no_pii_reads' }, count: 2 }]);
  });

  it('calls a decision that rests on a redacted value "cannot replay", never guessed', () => {
    const report = whatIf(stricter, history);
    expect(history[3].data.context).toEqual({ api_token: '[REDACTED]' });
    expect(report.cannotReplay).toEqual([expect.objectContaining({ recorded: expect.objectContaining({ operationId: 'op-4' }), reason: 'rule token_gate tests api_token, which was redacted in the audit trail' })]);
  });

  it('finds nothing to change when the candidate is the current set', () => {
    const report = whatIf(current, history);
    expect(report).toMatchObject({ replayed: 5, same: 5, changed: [], cannotReplay: [] });
  });
});
