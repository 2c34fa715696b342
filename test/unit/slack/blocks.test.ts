import { describe, expect, it } from 'vitest';
import {
  APPROVE_ACTION_ID,
  REJECT_ACTION_ID,
  approvalOutcomeMessage,
  approvalProgressMessage,
  approvalRequestMessage,
  budgetAlertMessage,
  escalationNotice,
  readRejectModalMetadata,
  rejectReasonModal,
  reminderText,
  temporalWorkflowUrl,
} from '../../../src/slack/blocks.js';
import { approvalMessageInput } from '../../../src/slack/approvalInput.js';
import { approvalInput, statusView } from '../../support/approvalFixtures.js';

type Block = Record<string, any>;

const allText = (blocks: Block[]): string => JSON.stringify(blocks);
const actionsBlocks = (blocks: Block[]) => blocks.filter((block) => block.type === 'actions');
const buttons = (blocks: Block[]) => actionsBlocks(blocks).flatMap((block) => block.elements);

/** Every text object in the message, with the limit Slack puts on it. */
function textsWithLimits(blocks: Block[]): [string, number][] {
  const out: [string, number][] = [];
  for (const block of blocks) {
    if (block.type === 'header') out.push([block.text.text, 150]);
    if (block.type === 'section') {
      if (block.text) out.push([block.text.text, 3000]);
      for (const field of block.fields ?? []) out.push([field.text, 2000]);
    }
    if (block.type === 'context') for (const element of block.elements) out.push([element.text, 2000]);
  }
  return out;
}

describe('approvalRequestMessage', () => {
  it('has exactly Approve and Reject buttons with stable action ids whose value is the workflow id', () => {
    const message = approvalRequestMessage(approvalInput());
    expect(actionsBlocks(message.blocks as Block[])).toHaveLength(1);
    expect(buttons(message.blocks as Block[])).toEqual([
      expect.objectContaining({ type: 'button', action_id: APPROVE_ACTION_ID, style: 'primary', value: 'op-export-42', text: expect.objectContaining({ text: 'Approve' }) }),
      expect.objectContaining({ type: 'button', action_id: REJECT_ACTION_ID, style: 'danger', value: 'op-export-42', text: expect.objectContaining({ text: 'Reject' }) }),
    ]);
    expect(APPROVE_ACTION_ID).toBe('tollgate_approve');
    expect(REJECT_ACTION_ID).toBe('tollgate_reject');
  });

  it('shows requester, roles, tenant, rule, cost, deadline, quorum and the Temporal UI link', () => {
    const message = approvalRequestMessage(approvalInput());
    const text = allText(message.blocks as Block[]);
    expect(message.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Approval needed: data.export', emoji: true } });
    expect(text).toContain('`agent-7` wants to *data.export* on `dataset://production/sales`');
    expect(text).toContain('`analyst`, `agent`');
    expect(text).toContain('*Tenant*\\n`acme`');
    expect(text).toContain('*Team*\\n`team-data`');
    expect(text).toContain('`prod-export-needs-approval`');
    expect(text).toContain('Exports of production data need a manager.');
    expect(text).toContain('*Estimated cost*\\n12.50');
    expect(text).toContain('<!date^1735819200^{date_short_pretty} at {time}|2025-01-02T12:00:00Z>');
    expect(text).toContain('needs 2 approvals');
    expect(text).toContain('<http://localhost:8233/namespaces/default/workflows/op-export-42|Open in Temporal UI>');
    expect(message.text).toBe('Approval needed: agent-7 wants to data.export on dataset://production/sales (op-export-42)');
  });

  it('says "1 approval" for a single-approver quorum', () => {
    const text = allText(approvalRequestMessage(approvalInput({ requiredApprovals: 1 })).blocks as Block[]);
    expect(text).toContain('needs 1 approval');
    expect(text).not.toContain('needs 1 approvals');
  });

  it('redacts secrets in the context it shows', () => {
    const input = approvalInput({
      context: { headers: { authorization: 'Bearer abc.def' }, slack: 'xoxb-111-222-abcdef', aws: 'AKIAIOSFODNN7EXAMPLE', rows: 3 },
    });
    const text = allText(approvalRequestMessage(input).blocks as Block[]);
    expect(text).toContain('[REDACTED]');
    expect(text).not.toContain('abc.def');
    expect(text).not.toContain('xoxb-111');
    expect(text).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(text).toContain('\\"rows\\": 3');
    expect(input.context!.slack).toBe('xoxb-111-222-abcdef');
  });

  it('escapes requester-controlled text so it cannot ping channels or fake links', () => {
    const input = approvalInput({ action: 'deploy <!channel>', resource: 'svc://a&b<http://evil|click>', subject: { identifier: 'mallory`<@U1>' } });
    const message = approvalRequestMessage(input);
    // Slack parses mentions and links in mrkdwn (and the fallback text), never in plain_text.
    const mrkdwn = textsWithLimits(message.blocks as Block[]).filter((_, i) => i > 0).map(([t]) => t);
    expect(message.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    const text = mrkdwn.join('\n') + message.text;
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<http://evil');
    expect(text).not.toContain('<@U1>');
    expect(text).toContain('&lt;!channel&gt;');
    expect(text).toContain('a&amp;b');
  });

  it('keeps every text within Slack limits when inputs are huge', () => {
    const huge = 'x'.repeat(10_000);
    const input = approvalInput({
      action: huge,
      resource: huge,
      subject: { identifier: huge, roles: Array.from({ length: 500 }, (_, i) => `role-${i}`) },
      rule: { name: huge, description: huge },
      context: { blob: huge, more: huge },
    });
    const message = approvalRequestMessage(input);
    for (const [text, limit] of textsWithLimits(message.blocks as Block[])) {
      expect(Array.from(text).length).toBeLessThanOrEqual(limit);
    }
    expect(message.text.length).toBeLessThanOrEqual(3000);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    expect(buttons(message.blocks as Block[]).map((b) => b.value)).toEqual(['op-export-42', 'op-export-42']);
  });

  it('encodes the workflow id and namespace in the Temporal UI link', () => {
    expect(temporalWorkflowUrl({ uiUrl: 'https://cloud.temporal.io/', namespace: 'prod.acme' }, 'op:1@x/y'))
      .toBe('https://cloud.temporal.io/namespaces/prod.acme/workflows/op%3A1%40x%2Fy');
  });
});

describe('approvalProgressMessage', () => {
  it('shows "1 of 2 approvals" with who approved, and keeps the buttons', () => {
    const message = approvalProgressMessage(approvalInput(), {
      required: 2,
      votes: [{ approver: { identifier: 'alice', slackUserId: 'U0ALICE' }, decision: 'approve', at: '2025-01-01T10:00:00Z' }],
    });
    const text = allText(message.blocks as Block[]);
    expect(text).toContain('*1 of 2 approvals*');
    expect(text).toContain('<@U0ALICE>');
    expect(buttons(message.blocks as Block[]).map((b) => b.action_id)).toEqual([APPROVE_ACTION_ID, REJECT_ACTION_ID]);
  });
});

describe('approvalOutcomeMessage', () => {
  it('has no buttons and says who decided, when, and their note', () => {
    const message = approvalOutcomeMessage(approvalInput(), {
      outcome: 'rejected',
      decidedBy: { identifier: 'bob', slackUserId: 'U0BOB' },
      at: '2025-01-01T10:00:00Z',
      note: 'Not during the freeze.\nTry Monday.',
    });
    const blocks = message.blocks as Block[];
    expect(actionsBlocks(blocks)).toHaveLength(0);
    expect(buttons(blocks)).toHaveLength(0);
    const text = allText(blocks);
    expect(blocks[0].text.text).toBe('Rejected: data.export');
    expect(text).toContain(':x: *Rejected* by <@U0BOB> <!date^1735725600^');
    expect(text).toContain('>Not during the freeze.\\n>Try Monday.');
    expect(message.text).toMatch(/^Rejected by bob: agent-7 wants to data.export/);
  });

  it.each(['approved', 'rejected', 'expired', 'cancelled'] as const)('%s has no buttons', (outcome) => {
    const message = approvalOutcomeMessage(approvalInput(), { outcome, at: '2025-01-01T10:00:00Z' });
    expect(buttons(message.blocks as Block[])).toHaveLength(0);
  });

  it('lists every approver of a quorum; names people without Slack ids by identifier', () => {
    const message = approvalOutcomeMessage(approvalInput(), {
      outcome: 'approved',
      decidedBy: [{ identifier: 'alice', slackUserId: 'U0ALICE' }, { identifier: 'cli-carol' }],
      at: '2025-01-01T10:00:00Z',
    });
    expect(allText(message.blocks as Block[])).toContain('*Approved* by <@U0ALICE>, `cli-carol`');
  });

  it('explains an expiry without a decider', () => {
    const message = approvalOutcomeMessage(approvalInput(), { outcome: 'expired', at: '2025-01-02T12:00:00Z' });
    expect(allText(message.blocks as Block[])).toContain('no decision before the deadline');
  });
});

describe('escalationNotice and reminderText', () => {
  it('mentions the escalation targets, points at the original channel, and carries the buttons', () => {
    const notice = escalationNotice({ ...approvalInput(), escalateTo: { mentions: ['U0BOSS', 'U0DEPUTY'] } }, { channel: 'C0APPROVALS', ts: '1.2' });
    const text = allText(notice.blocks as Block[]);
    expect(text).toContain('<@U0BOSS> <@U0DEPUTY>');
    expect(text).toContain('<#C0APPROVALS>');
    expect(buttons(notice.blocks as Block[]).map((b) => b.value)).toEqual(['op-export-42', 'op-export-42']);
  });

  it('reminds with mentions and the deadline', () => {
    expect(reminderText(['U01', 'U02'], { deadline: '2025-01-02T12:00:00Z' }))
      .toBe(':bell: <@U01> <@U02> Reminder: this request is still waiting for approval. It expires <!date^1735819200^{date_short_pretty} at {time}|2025-01-02T12:00:00Z>.');
    expect(reminderText([])).toBe(':bell: Reminder: this request is still waiting for approval.');
  });
});

describe('rejectReasonModal', () => {
  it('is a modal with our callback id, an optional multiline reason and the id in private_metadata', () => {
    const view = rejectReasonModal('op-export-42', 'C0APPROVALS', '1700000000.000100') as Record<string, any>;
    expect(view.type).toBe('modal');
    expect(view.callback_id).toBe('tollgate_reject_modal');
    expect(view.title.text.length).toBeLessThanOrEqual(24);
    const input = view.blocks.find((block: Block) => block.type === 'input');
    expect(input).toMatchObject({ optional: true, element: { type: 'plain_text_input', multiline: true, max_length: 3000 } });
    expect(readRejectModalMetadata(view.private_metadata)).toEqual({ operationId: 'op-export-42', channel: 'C0APPROVALS', ts: '1700000000.000100' });
  });

  it('refuses metadata that is not ours', () => {
    expect(readRejectModalMetadata('not json')).toBeNull();
    expect(readRejectModalMetadata('{"operationId":""}')).toBeNull();
    expect(readRejectModalMetadata('{"operationId":"x","extra":1}')).toBeNull();
    expect(readRejectModalMetadata(undefined)).toBeNull();
  });
});

describe('budgetAlertMessage', () => {
  it('names the budget, the threshold crossed and the amounts', () => {
    const message = budgetAlertMessage({ level: 'team' as const, entity: 'team-platform', period: '2025-11', periodKind: 'month' as const, threshold: 0.9, spent: 912.5, limit: 1000, percent: 91.25, createdAt: new Date() });
    expect(message.text).toBe('Budget alert: team team-platform crossed 90% of its 2025-11 budget (912.50 of 1,000.00)');
    const text = allText(message.blocks as Block[]);
    expect(text).toContain('Team `team-platform` crossed *90%*');
    expect(text).toContain('tollgate budget status --team team-platform');
  });
});

describe('approvalMessageInput', () => {
  it('builds the message input from the workflow status view', () => {
    const input = approvalMessageInput(statusView(), { uiUrl: 'http://ui', namespace: 'ns' });
    expect(input).toMatchObject({
      operationId: 'op-export-42',
      subject: { identifier: 'agent-7' },
      rule: { name: 'prod-export-needs-approval', description: 'Exports of production data need a manager.' },
      policy: { set: 'enterprise', version: 'a1b2c3d4' },
      estimatedCost: 12.5,
      deadline: '2099-01-01T00:00:00.000Z',
      requiredApprovals: 1,
      temporal: { uiUrl: 'http://ui', namespace: 'ns' },
    });
    expect(approvalMessageInput(statusView({ approval: undefined }), { uiUrl: 'u', namespace: 'n' })).toBeNull();
  });
});
