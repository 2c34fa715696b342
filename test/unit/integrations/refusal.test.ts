import { describe, expect, it } from 'vitest';
import { OperationDeniedError, OperationExpiredError, OperationOutcomeError, OperationRejectedError } from '../../../src/client/errors.js';
import { CallRefusedError, pendingRefusal, progressText, refusalOf, refusalText } from '../../../src/integrations/refusal.js';
import type { PolicyDecision } from '../../../src/policy/types.js';
import type { OperationStatusView } from '../../../src/operation/types.js';

const decision = (over: Partial<PolicyDecision> = {}): PolicyDecision => ({
  effect: 'deny', rule: 'block_shell', reason: 'Agents may not run shell commands', metadata: {}, policySet: 'tools', policyVersion: 'v1abc', ...over,
});

describe('refusalOf', () => {
  it('names the rule, the policy version and the reason of a denial, and says the same call is denied again', () => {
    const refusal = refusalOf(new OperationDeniedError('op-1', 'denied by rule block_shell: Agents may not run shell commands', decision(), 'PolicyViolation'));
    expect(refusal).toEqual({
      outcome: 'denied', operationId: 'op-1', reason: 'Agents may not run shell commands',
      rule: 'block_shell', policySet: 'tools', policyVersion: 'v1abc',
      remedy: expect.stringContaining('The same call will be denied again'),
    });
  });

  it('uses the rule\'s own metadata.remedy when it has one', () => {
    const refusal = refusalOf(new OperationDeniedError('op-1', 'denied', decision({ metadata: { remedy: 'Use the read replica.' } }), 'PolicyViolation'));
    expect(refusal.remedy).toBe('Use the read replica.');
  });

  it('says that no rule allows it when the default effect denied', () => {
    const refusal = refusalOf(new OperationDeniedError('op-1', 'denied by the default effect', decision({ rule: null, reason: null }), 'PolicyViolation'));
    expect(refusal).toMatchObject({ rule: null, reason: 'denied by the default effect' });
    expect(refusal.remedy).toContain('No rule allows this call');
  });

  it('points a budget denial at the budget, not the policy', () => {
    const refusal = refusalOf(new OperationDeniedError('op-1', 'user budget exceeded', undefined, 'BudgetExceeded'));
    expect(refusal).toMatchObject({ outcome: 'denied', reason: 'user budget exceeded' });
    expect(refusal.remedy).toContain('budget');
    expect(refusal.rule).toBeUndefined();
  });

  it('keeps rejections, expiries and failures apart', () => {
    expect(refusalOf(new OperationRejectedError('op-1', 'rejected by alice: not today', undefined)).outcome).toBe('rejected');
    expect(refusalOf(new OperationExpiredError('op-1', 'no decision before the deadline', undefined)).outcome).toBe('expired');
    expect(refusalOf(new OperationOutcomeError('op-1', 'cancelled', 'cancelled')).outcome).toBe('cancelled');
    expect(refusalOf(new OperationOutcomeError('op-1', 'failed', 'operation x failed: disk full')).remedy).toContain('not retried');
  });
});

describe('refusalText and CallRefusedError', () => {
  it('is one sentence a model can act on, naming rule, policy and operation', () => {
    const error = new CallRefusedError('shell', new OperationDeniedError('op-9', 'denied', decision(), 'PolicyViolation'));
    expect(error.message).toBe(`Tollgate denied this call (rule block_shell, policy tools@v1abc): Agents may not run shell commands. ${error.refusal.remedy} (operation op-9)`);
    expect(error.call).toBe('shell');
    expect(error.cause).toBeInstanceOf(OperationDeniedError);
    expect(refusalText(refusalOf(new OperationRejectedError('op-2', 'rejected by alice', undefined)))).toMatch(/^Tollgate did not run this call: rejected: rejected by alice\./);
  });
});

describe('pendingRefusal and progressText', () => {
  const waiting: OperationStatusView = {
    id: 'op-3', status: 'awaiting_approval',
    input: { subject: { identifier: 'a' }, action: 'mcp:call', resource: 'mcp://s/t' },
    decision: decision({ effect: 'require_approval', rule: 'refunds_need_a_manager' }),
    approval: { required: 2, votes: [{ approver: { identifier: 'alice' }, decision: 'approve', at: '2026-01-01T00:00:00Z' }], refused: [], deadline: '2026-01-02T00:00:00Z', requestedAt: '2026-01-01T00:00:00Z', escalated: false },
  };

  it('says where an approval stands and how to pick the outcome up', () => {
    const refusal = pendingRefusal(waiting, 'Call again.');
    expect(refusal).toMatchObject({ outcome: 'pending', operationId: 'op-3', rule: 'refunds_need_a_manager', remedy: 'Call again.' });
    expect(refusal.reason).toBe('waiting for approval under rule refunds_need_a_manager (1 of 2 approvals, deadline 2026-01-02T00:00:00Z)');
    expect(progressText(waiting)).toBe(refusal.reason);
    expect(progressText({ ...waiting, status: 'evaluating' })).toBe('Tollgate is evaluating the policy');
  });
});
