/**
 * The production-shaped rehearsal (docs/scale-out.md): a real Temporal server on Postgres, two
 * `tollgate worker` processes and a Slack receiver process, 500 operations (allowed, denied,
 * approved, rejected in Slack), and one worker SIGKILLed halfway. Opt-in: TOLLGATE_REHEARSAL=1
 * (with Postgres at TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test).
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../src/audit/index.js';
import type { AuditEntryType } from '../../src/audit/types.js';
import { BudgetLedger } from '../../src/budget/index.js';
import { OperationOutcomeError } from '../../src/client/errors.js';
import { quietTemporalRuntime } from '../support/governance.js';
import { APPROVAL_CHANNEL, SIGNING_SECRET, startRehearsalCluster, type RehearsalCluster } from './cluster.js';
import { decide } from './decide.js';
import { REHEARSAL_TEAM, rehearsalWorkload, type PlannedOperation } from './workload.js';

const enabled = process.env.TOLLGATE_REHEARSAL === '1';
const OPERATIONS = Number(process.env.TOLLGATE_REHEARSAL_OPERATIONS ?? 500);
// As many as the throughput bench keeps in flight; more only queues on two cores.
const IN_FLIGHT = 32;
// An activity that was running on the killed worker is retried only after its start-to-close
// timeout: 30 s for audit and budget steps, 10 min for the operation itself (see the report).
const RUN_TIMEOUT_MS = 14 * 60_000;
const STALLED_MS = 5_000;

interface Ended { status: string; ms: number; endedAt: number }

describe.skipIf(!enabled)('production-shaped rehearsal (set TOLLGATE_REHEARSAL=1 to run)', () => {
  let cluster: RehearsalCluster;

  beforeAll(async () => {
    quietTemporalRuntime();
    cluster = await startRehearsalCluster();
  }, 15 * 60_000); // includes building the Temporal server on a cold Go cache (~4 min)

  afterAll(async () => {
    await cluster?.close();
  });

  it(`${OPERATIONS} operations across two workers and a Slack receiver, one worker SIGKILLed halfway: each ends once, budgets and audit agree`, async () => {
    const { client, fake } = cluster;
    const plan = rehearsalWorkload(OPERATIONS, Date.now().toString(36));
    const byId = new Map(plan.map((op) => [op.id, op]));
    const decisionPath = { client, fake, slackEvents: cluster.slackEvents, signingSecret: SIGNING_SECRET, channel: APPROVAL_CHANNEL };
    const victim = cluster.workers[0];
    const ended = new Map<string, Ended>();
    let submitted = 0;
    let killedAt = 0;

    const started = Date.now();
    await inParallel(plan, IN_FLIGHT, async (op) => {
      const t0 = Date.now();
      const handle = await client.submit(op.input);
      if (++submitted === Math.floor(plan.length / 2)) {
        killedAt = Date.now();
        await victim.kill('SIGKILL');
      }
      if (op.kind === 'approve' || op.kind === 'reject') await decide(decisionPath, op.id, op.kind);
      const status = await handle.result().then((result) => result.status, (error: unknown) => {
        if (error instanceof OperationOutcomeError) return error.status;
        throw error;
      });
      ended.set(op.id, { status, ms: Date.now() - t0, endedAt: Date.now() });
    });
    const seconds = (Date.now() - started) / 1000;

    // 1. Every operation got the outcome its policy path gives.
    const wrong = plan.filter((op) => ended.get(op.id)?.status !== op.expected).map((op) => `${op.id}: ${ended.get(op.id)?.status}`);
    expect(wrong).toEqual([]);
    expect(victim.alive()).toBe(false);

    // 2. Exactly one workflow run per operation, all closed.
    const runs = await closedRuns(cluster, plan.length);
    expect(runs.filter((run) => run.status === 'RUNNING')).toEqual([]);
    expect(runs.map((run) => run.workflowId).sort()).toEqual(plan.map((op) => op.id).sort());

    // 3. The side effect happened for exactly the operations that completed, once each.
    const completed = plan.filter((op) => op.expected === 'completed');
    expect((await readdir(cluster.effectsDir)).sort()).toEqual(completed.map((op) => op.id).sort());
    const attempts = (await readFile(cluster.attemptsLog, 'utf8')).split('\n').filter(Boolean).map((line) => {
      const [id, pid, attempt] = line.split(' ');
      return { id, pid: Number(pid), attempt: Number(attempt) };
    });
    expect([...new Set(attempts.map((a) => a.id))].sort()).toEqual(completed.map((op) => op.id).sort());
    const survivors = cluster.workers.slice(1).map((w) => w.pid);
    const effectsBy = new Map<number, number>();
    for (const id of completed.map((op) => op.id)) {
      const pid = Number((await readFile(join(cluster.effectsDir, id), 'utf8')).trim());
      effectsBy.set(pid, (effectsBy.get(pid) ?? 0) + 1);
    }
    for (const pid of survivors) expect(effectsBy.get(pid) ?? 0).toBeGreaterThan(0);
    // The receiver runs no worker: it only signs and passes on decisions.
    expect(effectsBy.get(cluster.receiver.pid) ?? 0).toBe(0);

    // 4. Budgets: every reservation settled, spend = the completed operations' actual costs.
    const ledger = new BudgetLedger(cluster.pool, cluster.config.budgets);
    const unsettled: string[] = [];
    for (const op of plan) {
      const reservation = await ledger.get(op.id);
      const want = op.expected === 'completed' ? 'committed' : op.expected === 'rejected' ? 'released' : undefined;
      if ((reservation?.state) !== want) unsettled.push(`${op.id}: ${reservation?.state ?? 'no reservation'} (want ${want ?? 'none'})`);
      else if (want === 'committed' && reservation?.actual !== op.actualCost) unsettled.push(`${op.id}: committed ${reservation?.actual}, ran for ${op.actualCost}`);
    }
    expect(unsettled).toEqual([]);
    const cents = (ops: PlannedOperation[]) => ops.reduce((sum, op) => sum + Math.round((op.actualCost ?? 0) * 100), 0);
    for (const level of await ledger.status({ team: REHEARSAL_TEAM })) {
      expect({ level: level.level, reserved: level.reserved }).toEqual({ level: level.level, reserved: 0 });
      expect(Math.round(level.spent * 100)).toBe(cents(completed));
    }
    for (let user = 0; user < 8; user++) {
      const [mine] = await ledger.status({ user: `agent-${user}` });
      expect(Math.round(mine.spent * 100)).toBe(cents(completed.filter((op) => op.input.subject.identifier === `agent-${user}`)));
    }

    // 5. Audit: one policy decision per operation, one completion per completed one, one decision
    //    per approval, and the chain verifies.
    const trail = new AuditTrail(cluster.pool);
    const perOperation = async (type: AuditEntryType) => {
      const counts = new Map<string, number>();
      for (const entry of await trail.query({ type })) counts.set(entry.operationId ?? '(none)', (counts.get(entry.operationId ?? '(none)') ?? 0) + 1);
      return counts;
    };
    const once = (counts: Map<string, number>, ids: string[]) => {
      expect([...counts.keys()].sort()).toEqual([...ids].sort());
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
    };
    once(await perOperation('policy_decision'), plan.map((op) => op.id));
    once(await perOperation('operation_completed'), completed.map((op) => op.id));
    const decided = plan.filter((op) => op.kind === 'approve' || op.kind === 'reject');
    once(await perOperation('approval_decision'), decided.map((op) => op.id));
    const chain = await trail.verify();
    expect(chain.firstBroken).toBeUndefined();
    expect(chain.ok).toBe(true);

    // The figures for the report.
    const stalled = [...ended].filter(([, e]) => e.ms > STALLED_MS).map(([id, e]) => ({ id, kind: byId.get(id)!.kind, seconds: Math.round(e.ms / 100) / 10 }));
    const count = (status: string) => [...ended.values()].filter((e) => e.status === status).length;
    const summary = {
      operations: plan.length,
      seconds: Math.round(seconds * 10) / 10,
      operationsPerSecond: Math.round((plan.length / seconds) * 10) / 10,
      outcomes: { completed: count('completed'), denied: count('denied'), rejected: count('rejected') },
      byKind: Object.fromEntries(['allow', 'deny', 'approve', 'reject'].map((kind) => [kind, plan.filter((op) => op.kind === kind).length])),
      killed: { worker: victim.name, pid: victim.pid, afterSubmitted: Math.floor(plan.length / 2), atSecond: Math.round((killedAt - started) / 100) / 10 },
      effectsByPid: Object.fromEntries(effectsBy),
      handlerAttempts: attempts.length,
      handlerRetries: attempts.length - completed.length,
      stalledOver5s: stalled.length,
      slowest: stalled.sort((a, b) => b.seconds - a.seconds).slice(0, 5),
      auditEntries: chain.entries,
      slackMessagesPosted: fake.calls('chat.postMessage').length,
      temporal: { version: cluster.temporal.version, address: cluster.temporal.address },
    };
    await writeFile(join(cluster.dir, 'summary.json'), JSON.stringify(summary, null, 2));
    console.log(`rehearsal summary (${join(cluster.dir, 'summary.json')}):\n${JSON.stringify(summary, null, 2)}`);
  }, RUN_TIMEOUT_MS + 2 * 60_000);
});

/** Runs `run` over `items`, `limit` at a time; after a failure starts no more, lets the rest finish, then throws it. */
async function inParallel<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length && !failure) {
      try {
        await run(items[next++]);
      } catch (error) {
        failure ??= { error };
      }
    }
  }));
  if (failure) throw failure.error;
}

/** Every governed run in the namespace, once visibility has caught up with all of them. */
async function closedRuns(cluster: RehearsalCluster, expected: number): Promise<Array<{ workflowId: string; status: string }>> {
  const until = Date.now() + 60_000;
  for (;;) {
    const runs: Array<{ workflowId: string; status: string }> = [];
    for await (const run of cluster.client.temporal.workflow.list({ query: 'WorkflowType = "governedOperation"' })) {
      runs.push({ workflowId: run.workflowId, status: run.status.name });
    }
    const settled = runs.length >= expected && runs.every((run) => run.status !== 'RUNNING');
    if (settled || Date.now() > until) return runs;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
