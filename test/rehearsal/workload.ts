/**
 * What the production-shaped rehearsal runs: a deterministic mix of operations, each with the
 * outcome the policy must give it, and the policy and budgets they run under.
 */
import type { OperationInput } from '../../src/operation/schema.js';

export type OperationKind = 'allow' | 'deny' | 'approve' | 'reject';
export type ExpectedStatus = 'completed' | 'denied' | 'rejected';

export interface PlannedOperation {
  id: string;
  kind: OperationKind;
  input: OperationInput;
  expected: ExpectedStatus;
  /** What the `record` handler reports as the actual cost, when the operation runs. */
  actualCost?: number;
}

export const REHEARSAL_TEAM = 'team-rehearsal';
const REQUESTERS = 8;

export const REHEARSAL_POLICY = {
  name: 'rehearsal',
  rules: [
    { name: 'no_production_deletes', description: 'No deletes in production', effect: 'deny', actions: ['data:delete'], resources: ['*production*'], priority: 1 },
    { name: 'exports_need_a_manager', description: 'Exports need a manager', effect: 'require_approval', actions: ['data:export'], metadata: { approvalTimeout: '1h' }, priority: 10 },
    { name: 'managers_decide', effect: 'allow', actions: ['approval:decide'], subjects: ['role:manager'], priority: 20 },
    { name: 'jobs_run', effect: 'allow', actions: ['job:run'], priority: 30 },
  ],
};

/** Limits far above what 500 operations spend: every reservation must succeed, so spend is exact. */
export const REHEARSAL_BUDGETS = {
  period: 'month' as const,
  org: 1_000_000,
  teams: { [REHEARSAL_TEAM]: 100_000 },
  users: Object.fromEntries(Array.from({ length: REQUESTERS }, (_, i) => [`agent-${i}`, 10_000])),
};

// Out of every 20: 9 allowed, 4 denied, 4 approved, 3 rejected (45/20/20/15 %).
const PATTERN: readonly OperationKind[] = [
  'allow', 'deny', 'approve', 'allow', 'reject', 'allow', 'deny', 'approve', 'allow', 'allow',
  'reject', 'allow', 'deny', 'approve', 'allow', 'reject', 'deny', 'allow', 'approve', 'allow',
];

export function rehearsalWorkload(count: number, runId: string): PlannedOperation[] {
  return Array.from({ length: count }, (_, i) => {
    const kind = PATTERN[i % PATTERN.length];
    const id = `rehearsal-${runId}-${String(i).padStart(4, '0')}-${kind}`;
    const subject = { identifier: `agent-${i % REQUESTERS}`, roles: ['engineer'], attributes: { team_id: REHEARSAL_TEAM } };
    // Costs in whole cents, so that sums compare exactly however the ledger rounds.
    const estimatedCost = (100 + (i % 7) * 25) / 100;
    const actualCost = Math.round(estimatedCost * 80) / 100;
    const run = { name: 'record', args: { actualCost } };
    switch (kind) {
      case 'allow':
        return { id, kind, expected: 'completed', actualCost, input: { id, subject, action: 'job:run', resource: `job://rehearsal/${i}`, operation: run, estimatedCost } };
      case 'deny':
        return { id, kind, expected: 'denied', input: { id, subject, action: 'data:delete', resource: `dataset://production/table-${i}`, operation: run, estimatedCost } };
      case 'approve':
        return { id, kind, expected: 'completed', actualCost, input: { id, subject, action: 'data:export', resource: `dataset://rehearsal/export-${i}`, operation: run, estimatedCost } };
      case 'reject':
        return { id, kind, expected: 'rejected', input: { id, subject, action: 'data:export', resource: `dataset://rehearsal/export-${i}`, operation: run, estimatedCost } };
    }
  });
}
