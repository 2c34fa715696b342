import { describe, expect, it } from 'vitest';
import { approvalOutcomeMessage } from '../../../src/slack/blocks.js';
import { ConsoleNotifier } from '../../../src/slack/notifier.js';
import { approvalInput } from '../../support/approvalFixtures.js';

function setup() {
  const out: string[] = [];
  const notifier = new ConsoleNotifier({
    write: (text) => out.push(text),
    approvers: [
      { identifier: 'alice', roles: ['manager'], attributes: {}, tags: {} },
      { identifier: 'agent-7', roles: [], attributes: {}, tags: {} },
    ],
    now: () => 1_700_000_000_000,
  });
  return { notifier, out };
}

describe('ConsoleNotifier', () => {
  it('prints the request readably with the exact CLI commands that decide it', async () => {
    const { notifier, out } = setup();
    const ref = await notifier.postApprovalRequest(approvalInput({ context: { token: 'xoxb-1-2-3', rows: 5 } }), 'op-export-42:request');
    expect(ref).toEqual({ channel: 'console', ts: '1700000000.000001' });
    const text = out.join('');
    expect(text).toContain('agent-7 (roles: analyst, agent; tenant: acme) wants to data.export on dataset://production/sales');
    // The identity is the approver token's: the CLI has no flag that names one.
    expect(text).toContain('TOLLGATE_TOKEN=<your approver token> tollgate approvals approve op-export-42');
    expect(text).toContain('TOLLGATE_TOKEN=<your approver token> tollgate approvals reject op-export-42 --note "..."');
    expect(text).not.toContain('--as');
    expect(text).toContain('http://localhost:8233/namespaces/default/workflows/op-export-42');
    expect(text).toContain('Approvers:  alice\n');
    expect(text).toContain('"token":"[REDACTED]"');
    expect(text).not.toContain('xoxb-1-2-3');
  });

  it('prints a request once per key', async () => {
    const { notifier, out } = setup();
    const first = await notifier.postApprovalRequest(approvalInput(), 'k');
    const second = await notifier.postApprovalRequest(approvalInput(), 'k');
    expect(second).toEqual(first);
    expect(out).toHaveLength(1);
  });

  it('prints outcomes as plain terminal text', async () => {
    const { notifier, out } = setup();
    const message = approvalOutcomeMessage(approvalInput({ resource: 'a&b' }), { outcome: 'approved', decidedBy: { identifier: 'alice' }, at: '2025-01-01T00:00:00Z' });
    await notifier.updateApprovalMessage({ channel: 'console', ts: '1' }, message);
    expect(out.join('')).toContain('Approved by alice: agent-7 wants to data.export on a&b (op-export-42)');
  });
});
