import type { OperationStatusView, ApprovalVote } from '../../src/operation/types.js';
import type { ApprovalMessageInput } from '../../src/slack/types.js';

export function approvalInput(overrides: Partial<ApprovalMessageInput> = {}): ApprovalMessageInput {
  return {
    operationId: 'op-export-42',
    subject: { identifier: 'agent-7', roles: ['analyst', 'agent'], tags: { tenant_id: 'acme' }, attributes: { team_id: 'team-data' } },
    action: 'data.export',
    resource: 'dataset://production/sales',
    rule: { name: 'prod-export-needs-approval', description: 'Exports of production data need a manager.', metadata: {} },
    policy: { set: 'enterprise', version: 'a1b2c3d4' },
    estimatedCost: 12.5,
    context: { rows: 120000, destination: 's3://acme-exports/q3' },
    deadline: '2025-01-02T12:00:00.000Z',
    requestedAt: new Date().toISOString(),
    requiredApprovals: 2,
    temporal: { uiUrl: 'http://localhost:8233', namespace: 'default' },
    ...overrides,
  };
}

export function statusView(overrides: Partial<OperationStatusView> & { votes?: ApprovalVote[] } = {}): OperationStatusView {
  const { votes, ...rest } = overrides;
  return {
    id: 'op-export-42',
    status: 'awaiting_approval',
    input: {
      id: 'op-export-42',
      subject: { identifier: 'agent-7', roles: ['analyst'] },
      action: 'data.export',
      resource: 'dataset://production/sales',
      estimatedCost: 12.5,
    },
    decision: {
      effect: 'require_approval',
      rule: 'prod-export-needs-approval',
      reason: 'Exports of production data need a manager.',
      metadata: {},
      policySet: 'enterprise',
      policyVersion: 'a1b2c3d4',
    },
    approval: {
      required: 1,
      votes: votes ?? [],
      refused: [],
      deadline: '2099-01-01T00:00:00.000Z',
      requestedAt: '2025-01-01T00:00:00.000Z',
      escalated: false,
    },
    ...rest,
  };
}
