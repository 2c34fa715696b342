import { describe, expect, it } from 'vitest';
import {
  AUDIT_ENTRY_TYPES, InvalidAuditEntryError, approvalDecisionEntry, approvalEscalatedEntry, approvalRefusedEntry, approvalRequestedEntry,
  approvalVoteEntry, budgetAlertEntry, approvalGrantedEntry, grantRevokedEntry, approverTokenEntry, policyShadowDivergenceEntry, policyLoadedEntry, rolloutChangedEntry, budgetEntry, operationCancelledEntry, operationCompletedEntry, operationFailedEntry,
  operationStartedEntry, policyDecisionEntry, prepareAuditEntry, type AuditEntryInput,
} from '../../../src/audit/index.js';
import { TollgateInputError } from '../../../src/errors.js';
import { budgetAdjustmentEntry, budgetLimitSetEntry, budgetOverrunEntry } from '../../../src/audit/entries.js';

const now = () => new Date('2025-03-01T12:00:00.123Z');
const started: AuditEntryInput = { key: 'op-1:operation_started', type: 'operation_started', operationId: 'op-1' };

describe('prepareAuditEntry: validation', () => {
  it('stamps entries without a time with the clock, in UTC with milliseconds', () => {
    expect(prepareAuditEntry(started, now).at).toBe('2025-03-01T12:00:00.123Z');
    expect(prepareAuditEntry({ ...started, at: '2025-03-01T13:00:00+01:00' }, now).at).toBe('2025-03-01T12:00:00.000Z');
  });

  it('refuses an unknown type, suggesting the closest one', () => {
    const attempt = () => prepareAuditEntry({ ...started, type: 'policy_decison' as never }, now);
    expect(attempt).toThrow(InvalidAuditEntryError);
    expect(attempt).toThrow(/unknown type "policy_decison", did you mean "policy_decision"\?/);
    try {
      attempt();
    } catch (error) {
      // A caller bug: exit code 2 in the CLI, non-retryable in an activity.
      expect(error).toBeInstanceOf(TollgateInputError);
      expect((error as TollgateInputError).field).toBe('type');
    }
  });

  it('refuses a missing required field, an outcome the type does not have, and missing data', () => {
    expect(() => prepareAuditEntry({ key: 'k', type: 'approval_vote', operationId: 'op', outcome: 'approve' }, now)).toThrow(/actor is required/);
    expect(() => prepareAuditEntry({ key: 'k', type: 'approval_decision', operationId: 'op', outcome: 'aproved' }, now))
      .toThrow(/outcome "aproved", did you mean "approved"\?/);
    expect(() => prepareAuditEntry({ key: 'k', type: 'budget_reserved', operationId: 'op', data: { amount: '5' } }, now))
      .toThrow(/data.amount must be a number/);
  });

  it('refuses an empty key, a bad time and unknown fields', () => {
    expect(() => prepareAuditEntry({ ...started, key: '' }, now)).toThrow(/audit entry key:/);
    expect(() => prepareAuditEntry({ ...started, at: 'yesterday' }, now)).toThrow(/"yesterday" is not a timestamp/);
    expect(() => prepareAuditEntry({ ...started, effect: 'deny' } as AuditEntryInput, now)).toThrow(/Unrecognized key/);
  });
});

describe('prepareAuditEntry: what gets stored', () => {
  it('redacts secrets in data and secret-looking text in the other fields', () => {
    const prepared = prepareAuditEntry({
      ...started,
      resource: 'https://api.example.com/?auth=xoxb-1234-abcdef',
      data: {
        password: 'hunter2',
        headers: { Authorization: 'Bearer abc.def.ghi', accept: 'json' },
        note: 'called with xoxb-1234-abcdef then AKIAABCDEFGHIJKLMNOP',
        max_tokens: 512,
      },
    }, now);
    const stored = JSON.stringify(prepared);
    for (const secret of ['hunter2', 'abc.def.ghi', 'xoxb-1234', 'AKIAABCDEFGHIJKLMNOP']) expect(stored).not.toContain(secret);
    expect(prepared.data).toEqual({
      password: '[REDACTED]',
      headers: { Authorization: '[REDACTED]', accept: 'json' },
      note: 'called with [REDACTED] then [REDACTED]',
      max_tokens: 512,
    });
    expect(prepared.resource).toBe('https://api.example.com/?auth=[REDACTED]');
  });

  it('brings data to the JSON a jsonb column gives back', () => {
    const prepared = prepareAuditEntry({
      ...started,
      data: { when: new Date('2025-01-02T03:04:05Z'), gone: undefined, big: 12n, inf: Infinity, nul: 'a\u0000b', lone: 'x\uD800y', list: [undefined, 1] },
    }, now);
    expect(prepared.data).toEqual({ when: '2025-01-02T03:04:05.000Z', big: '12', inf: null, nul: 'a\uFFFDb', lone: 'x\uFFFDy', list: [null, 1] });
  });

  it('does not change the caller\'s object', () => {
    const data = { password: 'hunter2' };
    prepareAuditEntry({ ...started, data }, now);
    expect(data.password).toBe('hunter2');
  });
});

describe('entry builders', () => {
  const op = { operationId: 'op-7', requester: 'alice', action: 'data:export', resource: 'dataset://phi/x', rule: 'hipaa_phi_access_control' };
  const vote = { approver: { identifier: 'bob', slackUserId: 'U02' }, decision: 'approve' as const, at: '2025-03-01T10:00:00.000Z' };
  const built: AuditEntryInput[] = [
    policyDecisionEntry('op-7', { subject: { identifier: 'alice', roles: ['analyst'] }, action: 'data:export', resource: 'dataset://phi/x', context: { api_key: 's3cr3t' } },
      { effect: 'require_approval', rule: 'hipaa_phi_access_control', reason: 'PHI', metadata: {}, policySet: 'compliance', policyVersion: 'abc' } as never),
    approvalRequestedEntry(op, { required: 1, deadline: '2025-03-02T10:00:00.000Z' }),
    approvalVoteEntry(op, vote),
    approvalRefusedEntry(op, { ...vote, approver: { identifier: 'eve' }, reason: 'not an approver' }),
    approvalEscalatedEntry(op, { roles: ['director'] }),
    approvalDecisionEntry(op, 'approved', { decidedBy: 'bob', votes: [vote] }),
    operationStartedEntry(op, { operation: 'export', args: { token: 'x' } }),
    operationCompletedEntry(op, { cost: 1.5 }),
    operationFailedEntry(op, { error: 'boom' }),
    operationCancelledEntry(op, {}),
    budgetEntry('budget_reserved', op, { amount: 2, user: 'alice' }),
    budgetEntry('budget_committed', op, { amount: 1.5 }),
    budgetEntry('budget_released', op, { amount: 0.5 }),
    budgetAlertEntry({ level: 'team', entity: 'team-a', period: '2025-03', periodKind: 'month', threshold: 0.8, spent: 80, limit: 100, percent: 80 }),
    approvalGrantedEntry(op, { grantId: 'grant-1', grantedBy: 'bob', scope: 'dataset://phi/*', expiresAt: '2025-03-01T11:00:00.000Z', maxUses: 5 }),
    grantRevokedEntry({ grantId: 'grant-1', requester: 'alice', action: 'data:export', scope: 'dataset://phi/*' }, 'bob'),
    approverTokenEntry('approver_token_created', { tokenId: 'tok-1', identifier: 'bob', expiresAt: null }, 'admin'),
    approverTokenEntry('approver_token_revoked', { tokenId: 'tok-1' }, 'admin'),
    policyShadowDivergenceEntry(op, { enforced: { effect: 'allow', rule: 'a' }, shadow: { effect: 'deny', rule: 'b' } }),
    policyLoadedEntry({ role: 'enforced', file: 'p.yaml', name: 'p', version: 'abc' }, 'worker-1'),
    rolloutChangedEntry({ percentage: 25, previous: 10, at: new Date('2025-03-01T10:00:00Z') }, 'cli:ops'),
    budgetOverrunEntry(op, { reserved: 1, reported: 5, charged: 5, unpaid: 0, period: '2025-03', levels: [] }),
    budgetAdjustmentEntry({ operationId: 'op-7', entry: 12, actor: 'carol', amount: 0.5, previous: 1.5, actual: 2, unpaid: 0, at: '2025-03-01T10:00:00.000Z' }),
    budgetLimitSetEntry({ change: 3, level: 'team', entity: 'team-a', overridden: true, limit: 5, previous: 100, actor: 'carol', at: '2025-03-01T10:00:00.000Z' }),
  ];

  it('cover every entry type, each accepted by validation, with distinct keys', () => {
    expect(new Set(built.map((entry) => entry.type))).toEqual(new Set(AUDIT_ENTRY_TYPES));
    for (const entry of built) expect(() => prepareAuditEntry(entry, now), entry.type).not.toThrow();
    expect(new Set(built.map((entry) => entry.key)).size).toBe(built.length);
  });

  it('key entries by operation and step only, so a retried activity writes the same key', () => {
    expect(built[0].key).toBe('op-7:policy_decision');
    expect(approvalVoteEntry(op, vote).key).toBe(approvalVoteEntry(op, { ...vote, notes: 'retry' }).key);
    expect(prepareAuditEntry(built[0], now).data.context).toEqual({ api_key: '[REDACTED]' });
  });
});
