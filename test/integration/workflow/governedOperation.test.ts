import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { startTestTemporal, type TestTemporal } from '../../support/temporal.js';
import { RecordingApprovalSink, TEST_APPROVERS, WORKFLOW_TEST_POLICY, eventually, quietTemporalRuntime, testConfig } from '../../support/governance.js';
import { GovernanceClient } from '../../../src/client/GovernanceClient.js';
import { OperationDeniedError, OperationExpiredError, OperationOutcomeError, OperationRejectedError } from '../../../src/client/errors.js';
import { createTollgateWorker, workflowBundle, type TollgateWorker } from '../../../src/service/worker.js';
import { OperationRegistry } from '../../../src/operation/registry.js';
import type { TollgateConfig } from '../../../src/config.js';
import { testDecider, type TestDecider } from '../../support/decide.js';
import { decideUpdate, legacyDecisionSignal } from '../../../src/operation/contract.js';

let temporal: TestTemporal;
let config: TollgateConfig;
let worker: TollgateWorker;
let client: GovernanceClient;
let decider: TestDecider;
const sink = new RecordingApprovalSink();
const runs = new Map<string, number>();
const requester = { identifier: 'bob', roles: ['engineer'] };
let sequence = 0;
const nextId = (label: string) => `${label}-${Date.now().toString(36)}-${++sequence}`;

beforeAll(async () => {
  quietTemporalRuntime();
  temporal = await startTestTemporal();
  config = await testConfig(WORKFLOW_TEST_POLICY, { address: temporal.address, approvers: TEST_APPROVERS });
  const operations = new OperationRegistry()
    .register('export', async (args, context) => {
      runs.set(context.operationId, (runs.get(context.operationId) ?? 0) + 1);
      return { exported: args };
    })
    .register('explode', async () => {
      throw new Error('disk full');
    });
  worker = await createTollgateWorker({ config, approvals: sink, operations, connection: temporal.nativeConnection });
  void worker.run();
  client = await GovernanceClient.connect(config);
  decider = testDecider(client.temporal, config);
});

afterAll(async () => {
  await client?.close();
  await worker?.shutdown();
  await temporal?.close();
});

const awaitingApproval = (id: string) =>
  eventually(async () => (await client.status(id)).status === 'awaiting_approval', `${id} to await approval`);

describe('governedOperation', () => {
  it('allows and runs the operation, returning the decision and the result', async () => {
    const id = nextId('allow');
    const result = await (await client.submit({ id, subject: requester, action: 'job:run', resource: 'job://nightly', operation: { name: 'export', args: { n: 1 } } })).result();
    expect(result.status).toBe('completed');
    expect(result.decision).toMatchObject({ effect: 'allow', rule: 'allow_reads_and_runs', policySet: 'workflow-tests' });
    expect(result.result).toEqual({ exported: { n: 1 } });
    expect(runs.get(id)).toBe(1);
  });

  it('denies with a typed non-retryable PolicyViolation naming the rule', async () => {
    const id = nextId('deny');
    const handle = await client.submit({ id, subject: requester, action: 'data:delete', resource: 'dataset://production/sales', operation: { name: 'export' } });
    const error = await handle.result().catch((e) => e);
    expect(error).toBeInstanceOf(OperationDeniedError);
    expect(error.failureType).toBe('PolicyViolation');
    expect(error.decision.rule).toBe('deny_prod_delete');
    expect(error.message).toContain('No deletes in production');
    expect(runs.has(id)).toBe(false);
    expect((await client.status(id)).status).toBe('denied');
  });

  it('waits for approval, then runs the operation once', async () => {
    const id = nextId('approve');
    const handle = await client.submit({ id, subject: requester, action: 'data:export', resource: 'dataset://sales', operation: { name: 'export', args: {} } });
    await awaitingApproval(id);
    const waiting = await eventually(async () => { const view = await client.status(id); return view.approval?.message && view; }, 'the approval message ref');
    expect(waiting.approval).toMatchObject({ required: 1, votes: [], message: { channel: 'C-test' } });
    expect(runs.has(id)).toBe(false);
    const pending = await eventually(async () => (await client.listApprovals()).find((p) => p.id === id), 'visibility to list the approval');
    expect(pending).toMatchObject({ requester: 'bob', action: 'data:export', resource: 'dataset://sales', rule: 'export_needs_approval' });

    expect(await decider.approve(id, 'alice', 'looks fine')).toMatchObject({ counted: true, outcome: 'approved', approvals: { have: 1, need: 1 } });
    const result = await handle.result();
    expect(result.approval?.votes).toMatchObject([{ approver: { identifier: 'alice' }, decision: 'approve', notes: 'looks fine' }]);
    expect(runs.get(id)).toBe(1);
    expect(sink.for(id).map((e) => e.kind)).toEqual(['requested', 'closed']);
    expect(sink.for(id).at(-1)).toMatchObject({ kind: 'closed', outcome: 'approved' });
  });

  it('ends as rejected with the note when an approver rejects', async () => {
    const id = nextId('reject');
    const handle = await client.submit({ id, subject: requester, action: 'data:export', resource: 'dataset://sales', operation: { name: 'export' } });
    await awaitingApproval(id);
    expect(await decider.reject(id, 'carol', 'not this quarter')).toMatchObject({ counted: true, outcome: 'rejected' });
    const error = await handle.result().catch((e) => e);
    expect(error).toBeInstanceOf(OperationRejectedError);
    expect(error.message).toContain('carol');
    expect(error.message).toContain('not this quarter');
    expect(runs.has(id)).toBe(false);
    expect((await client.status(id)).status).toBe('rejected');
    expect(sink.for(id).at(-1)).toMatchObject({ kind: 'closed', outcome: 'rejected' });
  });

  it('expires when nobody decides before the rule\'s approvalTimeout', async () => {
    const id = nextId('expire');
    const handle = await client.submit({ id, subject: requester, action: 'data:export', resource: 'dataset://ephemeral/x', operation: { name: 'export' } });
    const error = await handle.result().catch((e) => e);
    expect(error).toBeInstanceOf(OperationExpiredError);
    expect(runs.has(id)).toBe(false);
    expect(sink.for(id).at(-1)).toMatchObject({ kind: 'closed', outcome: 'expired' });
  });

  it('ends as cancelled, with cleanup, when cancelled while waiting', async () => {
    const id = nextId('cancel');
    const handle = await client.submit({ id, subject: requester, action: 'data:export', resource: 'dataset://sales', operation: { name: 'export' } });
    await awaitingApproval(id);
    await client.temporal.workflow.getHandle(id).cancel();
    const error = await handle.result().catch((e) => e);
    expect(error).toBeInstanceOf(OperationOutcomeError);
    expect(error.status).toBe('cancelled');
    await eventually(async () => sink.for(id).some((e) => e.kind === 'closed' && e.outcome === 'cancelled'), 'the cancelled notification');
    expect(runs.has(id)).toBe(false);
  });

  it('needs two distinct approvers for approvalsRequired: 2, counting a repeated vote once', async () => {
    const id = nextId('quorum');
    const handle = await client.submit({ id, subject: requester, action: 'data:export', resource: 'dataset://pii/users', operation: { name: 'export' } });
    await awaitingApproval(id);
    expect(await decider.approve(id, 'alice')).toMatchObject({ counted: true, approvals: { have: 1, need: 2 } });
    expect((await client.status(id)).approval?.votes).toHaveLength(1);
    // Again, and under another spelling of the same name, through another channel: once.
    expect(await decider.sendSigned(id, 'alice', 'approve')).toMatchObject({ counted: false, refusal: 'duplicate' });
    expect(await decider.sendSigned(id, 'ALICE', 'approve')).toMatchObject({ counted: false, refusal: 'duplicate' });
    expect(await decider.decide(id, 'Alice', 'approve', { channel: 'slack', slackUserId: 'UALICE' })).toMatchObject({ ok: false, status: 409 });
    expect((await client.status(id)).status).toBe('awaiting_approval');
    expect(runs.has(id)).toBe(false);
    expect(await decider.approve(id, 'carol')).toMatchObject({ counted: true, outcome: 'approved', approvals: { have: 2, need: 2 } });
    const result = await handle.result();
    expect(result.approval?.votes.map((v) => v.approver.identifier)).toEqual(['alice', 'carol']);
    expect(runs.get(id)).toBe(1);
    expect(sink.for(id).map((e) => e.kind)).toEqual(['requested', 'progress', 'closed']);
  });

  it('refuses self-approval and keeps waiting', async () => {
    const id = nextId('self');
    const handle = await client.submit({ id, subject: requester, action: 'data:export', resource: 'dataset://sales', operation: { name: 'export' } });
    await awaitingApproval(id);
    // The service refuses before it signs anything...
    expect(await decider.decide(id, 'bob', 'approve')).toMatchObject({ ok: false, status: 403, reason: expect.stringContaining('may not approve') });
    expect(await decider.decide(id, 'BOB', 'approve')).toMatchObject({ ok: false, status: 403 });
    // ...and the workflow refuses by itself, under any spelling, even with a valid signature.
    for (const spelling of ['bob', 'Bob', ' ｂｏｂ ']) {
      expect(await decider.sendSigned(id, spelling, 'approve')).toMatchObject({ counted: false, refusal: 'authority', reason: expect.stringContaining('may not approve') });
    }
    const view = await client.status(id);
    expect(view.status).toBe('awaiting_approval');
    expect(view.approval?.votes).toEqual([]);
    expect(view.approval?.refused[0]).toMatchObject({ approver: { identifier: 'bob' }, reason: expect.stringContaining('may not approve') });
    await decider.approve(id, 'alice');
    await handle.result();
    expect(runs.get(id)).toBe(1);
  });

  it('records and ignores approvers outside the directory or without policy authority', async () => {
    const id = nextId('unauthorised');
    const handle = await client.submit({ id, subject: requester, action: 'data:export', resource: 'dataset://sales', operation: { name: 'export' } });
    await awaitingApproval(id);
    expect(await decider.decide(id, 'mallory', 'approve')).toMatchObject({ ok: false, status: 403, reason: expect.stringContaining('not in the approvers directory') });
    expect(await decider.decide(id, 'dave', 'approve')).toMatchObject({ ok: false, status: 403, reason: expect.stringContaining('does not allow dave approval:decide') });
    await decider.sendSigned(id, 'mallory', 'approve');
    await decider.sendSigned(id, 'dave', 'approve');
    const view = await client.status(id);
    expect(view.status).toBe('awaiting_approval');
    expect(view.approval?.refused.map((r) => r.reason)).toEqual([
      expect.stringContaining('not in the approvers directory'),
      expect.stringContaining('does not allow dave approval:decide'),
    ]);
    await decider.sendSigned(id, 'mallory', 'reject', 'sneaky reject');
    expect((await client.status(id)).status).toBe('awaiting_approval');
    await decider.approve(id, 'carol');
    await handle.result();
    expect(runs.get(id)).toBe(1);
  });

  it('never lets a malformed message wedge an operation: raw signals and Updates are refused, the wait goes on', async () => {
    const id = nextId('malformed');
    const handle = await client.submit({ id, subject: requester, action: 'data:export', resource: 'dataset://sales', operation: { name: 'export' } });
    await awaitingApproval(id);
    const workflow = client.temporal.workflow.getHandle(id);
    // What used to fail every later workflow task on vote.approver.identifier.
    for (const raw of [{ decision: 'approve' }, {}, null, 'approve', 42, [1, 2], { decision: 'approve', approver: { identifier: 7 } }]) {
      await workflow.signal(legacyDecisionSignal, raw);
      await expect(workflow.executeUpdate(decideUpdate, { args: [raw as never] })).rejects.toThrow();
    }
    await eventually(async () => (await client.status(id)).approval?.refused.length === 7, 'the seven refused signals');
    expect(await decider.approve(id, 'alice')).toMatchObject({ counted: true, outcome: 'approved' });
    expect((await handle.result()).status).toBe('completed');
  });

  it('returns the existing run for a repeated id, running and closed', async () => {
    const id = nextId('idempotent');
    const input = { id, subject: requester, action: 'data:export', resource: 'dataset://sales', operation: { name: 'export' } };
    await client.submit(input);
    await awaitingApproval(id);
    const firstRun = (await client.temporal.workflow.getHandle(id).describe()).runId;
    await client.submit(input);
    expect((await client.temporal.workflow.getHandle(id).describe()).runId).toBe(firstRun);
    await decider.approve(id, 'alice');
    await (await client.submit(input)).result();
    const again = await client.submit(input);
    expect((await again.result()).status).toBe('completed');
    expect((await client.temporal.workflow.getHandle(id).describe()).runId).toBe(firstRun);
    expect(runs.get(id)).toBe(1);
  });

  it('fails clearly for an unknown operation name, and for a failing handler', async () => {
    const unknown = await (await client.submit({ subject: requester, action: 'job:run', resource: 'job://x', operation: { name: 'no_such_op' } })).result().catch((e) => e);
    expect(unknown).toBeInstanceOf(OperationOutcomeError);
    expect(unknown.status).toBe('failed');
    expect(unknown.message).toContain('no operation handler named "no_such_op"');
    expect(unknown.message).toContain('registered: explode, export');
    const failing = await (await client.submit({ subject: requester, action: 'job:run', resource: 'job://x', operation: { name: 'explode' } })).result().catch((e) => e);
    expect(failing.status).toBe('failed');
    expect(failing.message).toContain('disk full');
  });

  it('lists only approvals stuck longer than --stuck-for', async () => {
    const id = nextId('stuck');
    await client.submit({ id, subject: requester, action: 'data:export', resource: 'dataset://sales', operation: { name: 'export' } });
    await eventually(async () => (await client.listApprovals()).some((p) => p.id === id), 'the approval to be listed');
    expect((await client.listApprovals({ stuckForMs: 3_600_000 })).some((p) => p.id === id)).toBe(false);
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await client.listApprovals({ stuckForMs: 1_000 })).some((p) => p.id === id)).toBe(true);
    await decider.reject(id, 'alice');
  });

  it('replays recorded histories deterministically', async () => {
    const ids: string[] = [];
    for await (const execution of client.temporal.workflow.list({ query: 'WorkflowType = "governedOperation" AND ExecutionStatus != "Running"' })) ids.push(execution.workflowId);
    expect(ids.length).toBeGreaterThanOrEqual(8);
    const histories = await Promise.all(ids.map(async (workflowId) => ({ workflowId, history: await client.temporal.workflow.getHandle(workflowId).fetchHistory() })));
    const results = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) results.push(result);
    expect(results).toHaveLength(ids.length);
    expect(results.filter((r) => r.error)).toEqual([]);
  });
});
