/**
 * Budgets through real workflows on a real dev server, against each test database: the seed's
 * example, no overspend under concurrency, commit retries, compensation, and alerts.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { startTestTemporal, type TestTemporal } from '../../support/temporal.js';
import { RecordingApprovalSink, TEST_APPROVERS, eventually, quietTemporalRuntime, testConfig } from '../../support/governance.js';
import { describeEachDatabase, type TestDatabase } from '../../support/databases.js';
import { GovernanceClient } from '../../../src/client/GovernanceClient.js';
import { OperationDeniedError, OperationOutcomeError } from '../../../src/client/errors.js';
import { createTollgateWorker, loadPoliciesInForce, workflowBundle, type TollgateWorker } from '../../../src/service/worker.js';
import { createActivities } from '../../../activities/index.js';
import { OperationRegistry } from '../../../src/operation/registry.js';
import { BudgetLedger, type BudgetAlert, type BudgetOverrun } from '../../../src/budget/index.js';
import { AuditTrail } from '../../../src/audit/index.js';
import type { TollgateConfig } from '../../../src/config.js';
import { loadDecisionKey } from '../../../src/keys.js';
import { testDecider } from '../../support/decide.js';
import type { Store } from '../../../src/store/index.js';

const POLICY = {
  name: 'budget-tests',
  rules: [
    { name: 'user_budget_exceeded', description: 'User monthly budget exceeded', effect: 'deny', actions: ['agent:*'], constraints: [{ key: 'user_budget_exceeded', equals: true }], priority: 3 },
    { name: 'export_needs_approval', effect: 'require_approval', actions: ['data:export'], metadata: { approvalTimeout: '1h' }, priority: 10 },
    { name: 'quick_expiry', effect: 'require_approval', actions: ['data:archive'], metadata: { approvalTimeout: '1s' }, priority: 11 },
    { name: 'managers_decide', effect: 'allow', actions: ['approval:decide'], subjects: ['role:manager'], priority: 20 },
    { name: 'allow_agents', effect: 'allow', actions: ['agent:*', 'job:*'], priority: 30 },
  ],
};

let temporal: TestTemporal;
beforeAll(async () => {
  quietTemporalRuntime();
  temporal = await startTestTemporal();
});
afterAll(async () => temporal?.close());

describeEachDatabase('budgets through workflows', (db: () => TestDatabase) => {
  let config: TollgateConfig;
  let worker: TollgateWorker;
  let client: GovernanceClient;
  let ledger: BudgetLedger;
  let store: Store;
  const alerts: BudgetAlert[] = [];
  const overruns: BudgetOverrun[] = [];
  const user = `user-${randomUUID().slice(0, 8)}`;
  const spender = `spender-${randomUUID().slice(0, 8)}`;
  const small = `small-${randomUUID().slice(0, 8)}`;
  const alerted = `alerted-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    config = await testConfig(POLICY, {
      address: temporal.address,
      approvers: TEST_APPROVERS,
      budgets: { org: 1_000_000, users: { 'user-123': 100, [user]: 25, [small]: 3, [alerted]: 10, [spender]: 10 }, teams: { 'team-platform': 1000 } },
    });
    store = { pool: db().pool, kind: db().kind, url: db().url, close: async () => undefined };
    const operations = new OperationRegistry()
      .register('model_call', async (args) => ({ actualCost: (args as { actual: number }).actual, result: 'ok' }))
      .register('boom', async () => { throw new Error('model timed out'); });
    worker = await createTollgateWorker({
      config, store, operations, approvals: new RecordingApprovalSink(), connection: temporal.nativeConnection,
      budgetAlerts: { sendBudgetAlert: async (alert) => void alerts.push(alert), sendBudgetOverrun: async (overrun) => void overruns.push(overrun) },
    });
    void worker.run();
    client = await GovernanceClient.connect(config, { store });
    ledger = new BudgetLedger(db().pool, config.budgets);
  });

  afterAll(async () => {
    await client?.close();
    await worker?.shutdown();
  });

  const submit = (subject: { identifier: string; attributes?: Record<string, unknown> }, cost: number, extra: Record<string, unknown> = {}) =>
    client.submit({ id: `wf-${randomUUID()}`, subject, action: 'agent:model_invoke', resource: 'model://gpt-4', estimatedCost: cost, ...extra });

  it('gives the seed\'s outcome: 2.50 reserved, 2.35 committed for user-123 on team-platform', async () => {
    const handle = await submit({ identifier: 'user-123', attributes: { team_id: 'team-platform' } }, 2.5, { operation: { name: 'model_call', args: { actual: 2.35 } } });
    const result = await handle.result();
    expect(result.cost).toBe(2.35);
    expect(await ledger.get(handle.id)).toMatchObject({ state: 'committed', estimated: 2.5, actual: 2.35 });
    const levels = Object.fromEntries((await ledger.status({ user: 'user-123', team: 'team-platform' })).map((l) => [l.level, l]));
    expect(levels.user).toMatchObject({ spent: 2.35, reserved: 0, limit: 100, remaining: 97.65 });
    expect(levels.team).toMatchObject({ spent: 2.35, reserved: 0, limit: 1000 });
  });

  it('never overspends: 50 concurrent workflows of 1 against a limit of 25 give exactly 25', async () => {
    const handles = await Promise.all(Array.from({ length: 50 }, () => submit({ identifier: user }, 1)));
    const outcomes = await Promise.all(handles.map((h) => h.result().then(() => 'completed', (e) => (e instanceof OperationDeniedError ? e.failureType : e.message))));
    expect(outcomes.filter((o) => o === 'completed')).toHaveLength(25);
    // Denied either at reservation or, once the context shows the limit reached, by the policy rule.
    expect(outcomes.filter((o) => o === 'BudgetExceeded' || o === 'PolicyViolation')).toHaveLength(25);
    const [userLevel] = await ledger.status({ user });
    expect(userLevel).toMatchObject({ level: 'user', spent: 25, reserved: 0 });
  });

  it('denies by the seed\'s budget rule once the user\'s budget is used, and by the reservation when one request would overrun it', async () => {
    const overrun = await (await submit({ identifier: small }, 5)).result().catch((e) => e);
    expect(overrun).toBeInstanceOf(OperationDeniedError);
    expect(overrun.decision?.rule ?? overrun.failureType).toMatch(/user_budget_exceeded|BudgetExceeded/);
    await (await submit({ identifier: small }, 3)).result();
    const after = await (await submit({ identifier: small }, 0.01)).result().catch((e) => e);
    expect(after).toBeInstanceOf(OperationDeniedError);
    expect(after.decision?.rule).toBe('user_budget_exceeded');
  });

  it('releases the reservation on reject, expiry, cancellation and handler failure', async () => {
    const subject = { identifier: 'bob' };
    const rejected = await client.submit({ id: `wf-${randomUUID()}`, subject, action: 'data:export', resource: 'dataset://x', estimatedCost: 4 });
    await eventually(async () => (await client.status(rejected.id)).status === 'awaiting_approval', 'awaiting approval');
    expect((await ledger.get(rejected.id))?.state).toBe('reserved');
    await testDecider(client.temporal, config).reject(rejected.id, 'alice', 'no');
    await rejected.result().catch(() => undefined);

    const expired = await client.submit({ id: `wf-${randomUUID()}`, subject, action: 'data:archive', resource: 'dataset://x', estimatedCost: 4 });
    await expired.result().catch(() => undefined);

    const cancelled = await client.submit({ id: `wf-${randomUUID()}`, subject, action: 'data:export', resource: 'dataset://x', estimatedCost: 4 });
    await eventually(async () => (await client.status(cancelled.id)).status === 'awaiting_approval', 'awaiting approval');
    await client.temporal.workflow.getHandle(cancelled.id).cancel();
    await cancelled.result().catch(() => undefined);

    const failed = await client.submit({ id: `wf-${randomUUID()}`, subject, action: 'job:run', resource: 'job://x', estimatedCost: 4, operation: { name: 'boom' } });
    const failure = await failed.result().catch((e) => e);
    expect(failure).toBeInstanceOf(OperationOutcomeError);

    for (const handle of [rejected, expired, cancelled, failed]) {
      await eventually(async () => (await ledger.get(handle.id))?.state === 'released', `${handle.id} released`);
    }
    const [bobLevel] = await ledger.status({ user: 'bob' });
    expect(bobLevel).toMatchObject({ spent: 0, reserved: 0 });
  });

  it('writes every step to the audit trail, once each, as one valid hash chain', async () => {
    const trail = new AuditTrail(db().pool);
    const steps = async (id: string) => (await trail.query({ operationId: id })).map((e) => `${e.type}:${e.outcome ?? ''}`);

    const done = await submit({ identifier: 'user-123', attributes: { team_id: 'team-platform' } }, 2.5, { operation: { name: 'model_call', args: { actual: 2.35 } } });
    await done.result();
    expect(await steps(done.id)).toEqual(['policy_decision:allow', 'budget_reserved:', 'operation_started:executing', 'operation_completed:completed', 'budget_committed:']);
    expect((await trail.query({ operationId: done.id, type: 'budget_committed' }))[0].data).toMatchObject({ amount: 2.35 });

    const subject = { identifier: 'bob' };
    const rejected = await client.submit({ id: `wf-${randomUUID()}`, subject, action: 'data:export', resource: 'dataset://x', estimatedCost: 1 });
    await eventually(async () => (await client.status(rejected.id)).status === 'awaiting_approval', 'awaiting approval');
    const decider = testDecider(client.temporal, config);
    await decider.sendSigned(rejected.id, 'bob', 'approve');
    await decider.reject(rejected.id, 'alice', 'not now');
    await rejected.result().catch(() => undefined);
    await eventually(async () => (await steps(rejected.id)).includes('approval_decision:rejected'), 'the decision entry');
    // Compensation comes first: the reservation is released before the message is updated.
    expect(await steps(rejected.id)).toEqual([
      'policy_decision:require_approval', 'budget_reserved:', 'approval_requested:pending', 'approval_refused:approve',
      'approval_vote:reject', 'budget_released:', 'approval_decision:rejected',
    ]);
    const [refused] = await trail.query({ operationId: rejected.id, type: 'approval_refused' });
    expect(refused).toMatchObject({ actor: 'bob', data: { reason: expect.stringContaining('may not approve') } });

    const failed = await client.submit({ id: `wf-${randomUUID()}`, subject, action: 'job:run', resource: 'job://x', estimatedCost: 1, operation: { name: 'boom' } });
    await failed.result().catch(() => undefined);
    await eventually(async () => (await steps(failed.id)).includes('budget_released:'), 'the release entry');
    expect(await steps(failed.id)).toEqual(['policy_decision:allow', 'budget_reserved:', 'operation_started:executing', 'operation_failed:failed', 'budget_released:']);

    const cancelled = await client.submit({ id: `wf-${randomUUID()}`, subject, action: 'data:export', resource: 'dataset://x' });
    await eventually(async () => (await client.status(cancelled.id)).status === 'awaiting_approval', 'awaiting approval');
    await client.temporal.workflow.getHandle(cancelled.id).cancel();
    await eventually(async () => (await steps(cancelled.id)).includes('approval_decision:cancelled'), 'the cancellation entries');
    expect(await steps(cancelled.id)).toEqual(['policy_decision:require_approval', 'approval_requested:pending', 'operation_cancelled:cancelled', 'approval_decision:cancelled']);

    const chain = await trail.verify();
    expect(chain.ok).toBe(true);
  });

  it('a pure gate commits its estimate, and adjustCost corrects it idempotently', async () => {
    const handle = await submit({ identifier: 'carol' }, 2);
    await handle.result();
    expect((await ledger.get(handle.id))?.actual).toBe(2);
    await client.adjustCost(handle.id, 1.25, { actor: 'finance-bot', reason: 'invoice' });
    await client.adjustCost(handle.id, 1.25, { actor: 'finance-bot' });
    expect((await ledger.get(handle.id))?.actual).toBe(1.25);
    const [carol] = await client.budgetStatus({ user: 'carol' });
    expect(carol.spent).toBe(1.25);
    const adjusted = await new AuditTrail(db().pool).query({ operationId: handle.id, type: 'budget_adjusted' });
    expect(adjusted.map((e) => [e.actor, e.data.amount, e.data.reason])).toEqual([['finance-bot', -0.75, 'invoice']]);
  });

  it('charges an operation that cost more than it reserved past the limit, and audits and alerts the overrun once', async () => {
    const handle = await submit({ identifier: spender }, 1, { operation: { name: 'model_call', args: { actual: 40 } } });
    const result = await handle.result();
    expect(result.cost).toBe(40);
    expect(await ledger.get(handle.id)).toMatchObject({ state: 'committed', estimated: 1, actual: 40, overrun: 39, unpaid: 0 });
    const trail = new AuditTrail(db().pool);
    expect((await trail.query({ operationId: handle.id })).map((e) => `${e.type}:${e.outcome ?? ''}`)).toEqual([
      'policy_decision:allow', 'budget_reserved:', 'operation_started:executing', 'operation_completed:completed', 'budget_committed:', 'budget_overrun:recorded',
    ]);
    const [entry] = await trail.query({ operationId: handle.id, type: 'budget_overrun' });
    expect(entry.data).toMatchObject({ reserved: 1, reported: 40, charged: 40, unpaid: 0, levels: [{ level: 'user', entity: spender, limit: 10, used: 40 }] });
    await eventually(async () => overruns.some((o) => o.key === handle.id), 'the overrun alert');
    expect(overruns.filter((o) => o.key === handle.id)).toHaveLength(1);
    expect((await ledger.commit(handle.id, 40)).overrun).toMatchObject({ alerted: true });
  });

  it('alerts once per threshold as spend crosses 80%, 90% and 95%', async () => {
    const before = alerts.length;
    for (const cost of [8, 0.5, 0.1, 0.1, 0.9]) await (await submit({ identifier: alerted }, cost)).result();
    const mine = alerts.slice(before).filter((a) => a.level === 'user' && a.entity === alerted).map((a) => a.threshold);
    expect(mine).toEqual([0.8, 0.9, 0.95]);
  });

  it('the reaper releases a reservation whose workflow was terminated', async () => {
    const handle = await client.submit({ id: `wf-${randomUUID()}`, subject: { identifier: 'erin' }, action: 'data:export', resource: 'dataset://x', estimatedCost: 7 });
    await eventually(async () => (await ledger.get(handle.id))?.state === 'reserved', 'the reservation');
    await client.temporal.workflow.getHandle(handle.id).terminate('operator cleanup');
    const { released } = await client.releaseStaleReservations(0);
    expect(released).toContain(handle.id);
    expect((await ledger.get(handle.id))?.state).toBe('released');
  });

  it('counts a commit once when its activity is retried after writing', async () => {
    // A worker whose commitBudget writes, then fails once as if the process died before replying.
    const taskQueue = `commit-retry-${randomUUID().slice(0, 6)}`;
    const activities = createActivities({
      config, policies: loadPoliciesInForce(config), operations: new OperationRegistry(), approvals: new RecordingApprovalSink(), decisionPublicKey: loadDecisionKey(config).publicKey,
      budget: { config, ledger, db: db().pool, alerts: { sendBudgetAlert: async () => undefined } },
    });
    let failed = false;
    const flaky = { ...activities, async commitBudget(args: { key: string; amount: number }) {
      await activities.commitBudget(args);
      if (!failed) {
        failed = true;
        throw new Error('worker lost its reply after committing');
      }
    } };
    const retryWorker = await Worker.create({ connection: temporal.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: flaky });
    const run = retryWorker.run();
    const retryClient = await GovernanceClient.connect({ ...config, temporal: { ...config.temporal, taskQueue } });
    const handle = await retryClient.submit({ id: `wf-${randomUUID()}`, subject: { identifier: 'dave' }, action: 'agent:model_invoke', resource: 'model://x', estimatedCost: 1.5 });
    await handle.result();
    expect(failed).toBe(true);
    const entries = await ledger.entries(handle.id);
    expect(entries.filter((e) => e.kind === 'commit')).toHaveLength(1);
    const [dave] = await ledger.status({ user: 'dave' });
    expect(dave.spent).toBe(1.5);
    await retryClient.close();
    retryWorker.shutdown();
    await run;
  });
});
