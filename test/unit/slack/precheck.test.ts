import { describe, expect, it } from 'vitest';
import { precheckClick } from '../../../src/slack/precheck.js';
import type { DirectoryApprover } from '../../../src/slack/types.js';
import { statusView } from '../../support/approvalFixtures.js';

const alice: DirectoryApprover = { identifier: 'alice', slackUserId: 'U0ALICE', roles: ['manager'], attributes: {}, tags: {} };

describe('precheckClick', () => {
  it('lets an approver decide a running request that awaits approval', () => {
    expect(precheckClick({ operationId: 'op-1', decision: 'approve', approver: alice, found: { view: statusView(), running: true } }))
      .toEqual({ ok: true, approver: alice });
  });

  it('refuses someone who is not an approver', () => {
    const result = precheckClick({ operationId: 'op-1', decision: 'approve', approver: null, found: { view: statusView(), running: true } });
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('not a Tollgate approver') });
  });

  it('refuses an unknown operation', () => {
    const result = precheckClick({ operationId: 'op-x', decision: 'approve', approver: alice, found: null });
    expect(result).toMatchObject({ ok: false, reason: 'Tollgate has no operation `op-x`; nothing changed.' });
  });

  it('refuses the requester deciding their own request', () => {
    const view = statusView({ input: { subject: { identifier: 'alice' }, action: 'a', resource: 'r' } });
    for (const decision of ['approve', 'reject'] as const) {
      const result = precheckClick({ operationId: 'op-1', decision, approver: alice, found: { view, running: true } });
      expect(result).toMatchObject({ ok: false, reason: expect.stringContaining(`yourself, so you cannot ${decision} it`) });
    }
  });

  it.each([
    ['rejected', 'was already rejected (by <@U0BOB>)'],
    ['completed', 'was already approved and has completed'],
    ['expired', 'has expired'],
    ['cancelled', 'was cancelled'],
    ['denied', 'was denied by policy'],
  ] as const)('says which way a %s request ended', (status, phrase) => {
    const view = statusView({ status, votes: [{ approver: { identifier: 'bob', slackUserId: 'U0BOB' }, decision: 'reject', at: '2025-01-01T00:00:00Z' }] });
    const result = precheckClick({ operationId: 'op-1', decision: 'approve', approver: alice, found: { view, running: false } });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toContain(phrase);
  });

  it('refuses a request whose workflow is no longer running', () => {
    const result = precheckClick({ operationId: 'op-1', decision: 'approve', approver: alice, found: { view: statusView(), running: false } });
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('no longer running') });
  });

  it('refuses a second vote by the same approver and says how many approvals are still missing', () => {
    const view = statusView({ votes: [{ approver: { identifier: 'alice' }, decision: 'approve', at: '2025-01-01T00:00:00Z' }] });
    view.approval!.required = 3;
    const result = precheckClick({ operationId: 'op-1', decision: 'approve', approver: alice, found: { view, running: true } });
    expect(result).toMatchObject({ ok: false, reason: 'You already approved `op-1`. It still needs 2 more approvals from someone else.' });
  });
});
