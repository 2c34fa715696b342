import { describe, expect, it } from 'vitest';
import { ApprovalMetadataError, approvalPlan, grantOffer } from '../../../src/approval/plan.js';
import { nextApprovalStep, openApproval } from '../../../src/approval/schedule.js';

const defaults = { defaultTimeout: '24h', proofWindow: '5m' };

describe('approvalPlan', () => {
  it('reads the timeout, quorum, escalation, channel and grant offer from rule metadata', () => {
    expect(approvalPlan('r', { approvalTimeout: '2h', approvalsRequired: 2, escalateAfter: '30m', escalateTo: { channel: 'C1', roles: ['security'] }, slackChannel: 'C2', grantable: { maxTtl: '8h', maxUses: 50 } }, defaults)).toEqual({
      timeoutMs: 7_200_000, required: 2, reminderAfterMs: 3_600_000, escalateAfterMs: 1_800_000,
      escalateTo: { channel: 'C1', roles: ['security'] }, channel: 'C2', grantable: { maxTtlMs: 28_800_000, maxUses: 50 },
    });
  });

  it('falls back to the configured default timeout and one approver', () => {
    expect(approvalPlan(null, {}, defaults)).toEqual({ timeoutMs: 86_400_000, required: 1, reminderAfterMs: 43_200_000 });
  });

  it('refuses malformed metadata with an ApprovalMetadataError naming the rule and the field', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ approvalTimeout: 'soon' }, /^rule r metadata\.approvalTimeout: expected a duration/],
      [{ approvalsRequired: 0 }, /^rule r metadata\.approvalsRequired: expected a whole number ≥ 1, got 0/],
      [{ approvalsRequired: 1.5 }, /approvalsRequired/],
      [{ escalateAfter: '1h', escalateTo: 'security' }, /metadata\.escalateTo: expected \{ channel\?, roles\? \}/],
      [{ grantable: true }, /metadata\.grantable: expected \{ maxTtl/],
      [{ grantable: { maxTtl: 'forever', maxUses: 1 } }, /metadata\.grantable\.maxTtl/],
      [{ grantable: { maxTtl: '1h', maxUses: 0 } }, /metadata\.grantable\.maxUses/],
    ];
    for (const [metadata, message] of cases) {
      const error = (() => { try { approvalPlan('r', metadata, defaults); } catch (e) { return e; } return null; })();
      expect(error, JSON.stringify(metadata)).toBeInstanceOf(ApprovalMetadataError);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('offers grants only where a rule says so', () => {
    expect(grantOffer('r', {})).toBeNull();
    expect(grantOffer('r', { grantable: false })).toBeNull();
  });
});

describe('nextApprovalStep', () => {
  const plan = { reminderAfterMs: 50, escalateAfterMs: 30, timeoutMs: 100, required: 1 };
  const state = openApproval(plan, 1_000);

  it('waits until the earliest of escalation, reminder and deadline, then does each once', () => {
    expect(nextApprovalStep(state, plan, false, 1_000)).toEqual({ kind: 'wait', forMs: 30 });
    expect(nextApprovalStep(state, plan, false, 1_030)).toEqual({ kind: 'escalate' });
    expect(nextApprovalStep({ ...state, escalated: true }, plan, false, 1_030)).toEqual({ kind: 'wait', forMs: 20 });
    expect(nextApprovalStep({ ...state, escalated: true }, plan, false, 1_050)).toEqual({ kind: 'remind' });
    expect(nextApprovalStep({ ...state, escalated: true }, plan, true, 1_050)).toEqual({ kind: 'wait', forMs: 50 });
    expect(nextApprovalStep({ ...state, escalated: true }, plan, true, 1_100)).toEqual({ kind: 'expire' });
  });

  it('has no escalation step without escalateAfter', () => {
    const quiet = { reminderAfterMs: 50, timeoutMs: 100, required: 1 };
    expect(nextApprovalStep(openApproval(quiet, 0), quiet, false, 0)).toEqual({ kind: 'wait', forMs: 50 });
  });
});
