/**
 * The database goes away for 30 s at the worst moments (issue 10): at submit, while an operation
 * waits, when a vote arrives, at commit. Activities that touch the store retry until it is back;
 * afterwards every operation completes, holding exactly one reservation or none, with one audit
 * entry per step. A TCP proxy between the service and the database does the cutting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { startTestTemporal, type TestTemporal } from '../../support/temporal.js';
import { TEST_APPROVERS, eventually, quietTemporalRuntime, testConfig } from '../../support/governance.js';
import { databaseKinds, reportSkippedPostgres, freshPgliteDataDir, serviceDatabase, type ServiceDatabase } from '../../support/databases.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcpProxy.js';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../../../src/store/embedded.js';
import { connectDatabase } from '../../../src/store/connect.js';
import { startService, type RunningService } from '../../../src/service/service.js';
import { OperationRegistry } from '../../../src/operation/registry.js';
import { AuditTrail } from '../../../src/audit/index.js';
import { BudgetLedger } from '../../../src/budget/index.js';

const CUT_MS = 30_000;
const POLICY = {
  name: 'fault-tests',
  rules: [
    { name: 'exports_need_approval', effect: 'require_approval', actions: ['data:export'], metadata: { approvalTimeout: '1h' }, priority: 10 },
    { name: 'managers_decide', effect: 'allow', actions: ['approval:decide'], subjects: ['role:manager'], priority: 20 },
    { name: 'jobs_run', effect: 'allow', actions: ['job:run'], priority: 30 },
  ],
};

let temporal: TestTemporal;
beforeAll(async () => {
  quietTemporalRuntime();
  temporal = await startTestTemporal();
});
afterAll(async () => temporal?.close());

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

reportSkippedPostgres('the database cut');
for (const kind of databaseKinds()) {
  describe(`the database cut for ${CUT_MS / 1000} s [${kind}]`, () => {
    let embedded: EmbeddedDatabase | undefined;
    let database: ServiceDatabase | undefined;
    let proxy: TcpProxy;
    let direct: pg.Pool;
    let service: RunningService;
    let sequence = 0;
    const runs = new Map<string, number>();

    beforeAll(async () => {
      let target: URL;
      if (kind === 'pglite') {
        embedded = await startEmbeddedDatabase({ dataDir: await freshPgliteDataDir(), port: 0 });
        target = new URL(embedded.url);
      } else {
        database = await serviceDatabase('postgres');
        target = new URL(database.config.url!);
      }
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
      const throughProxy = new URL(target);
      throughProxy.port = String(proxy.port);
      direct = connectDatabase(target.toString(), { max: 2 });
      const config = await testConfig(POLICY, {
        address: temporal.address, approvers: TEST_APPROVERS, database: { url: throughProxy.toString() }, server: { port: 0 },
        budgets: { users: { bob: 1000 } },
      });
      const operations = new OperationRegistry()
        .register('record', async (_args, context) => {
          runs.set(context.operationId, (runs.get(context.operationId) ?? 0) + 1);
          return { actualCost: 1 };
        })
        .register('cut_then_finish', async (_args, context) => {
          runs.set(context.operationId, (runs.get(context.operationId) ?? 0) + 1);
          // The handler is done; the commit that follows meets the cut.
          if (runs.get(context.operationId) === 1) {
            proxy.cut();
            setTimeout(() => proxy.restore(), CUT_MS);
          }
          return { actualCost: 1 };
        });
      service = await startService({ config, operations, serveEmbeddedDatabase: false });
    });

    afterAll(async () => {
      proxy?.restore();
      await service?.stop();
      await direct?.end();
      await proxy?.close();
      await embedded?.close();
      await database?.close();
    });

    const submit = (action: string, operation: string) => {
      const id = `cut-${kind}-${Date.now().toString(36)}-${++sequence}`;
      return { id, handle: service.client.submit({ id, subject: { identifier: 'bob' }, action, resource: 'dataset://x', operation: { name: operation }, estimatedCost: 2 }) };
    };
    const steps = async (id: string) => (await new AuditTrail(direct).query({ operationId: id })).map((e) => e.type);
    const reservation = async (id: string) => (await new BudgetLedger(direct, { period: 'month', teams: {}, users: {}, highCostThreshold: 5, alertThresholds: [], userKey: 'subject.identifier', teamKey: 'subject.attributes.team_id' } as never).get(id));
    const health = async () => (await fetch(`http://127.0.0.1:${service.port}/healthz`)).status;
    const expectCleanEnd = async (id: string, expected: string[]) => {
      expect(await steps(id)).toEqual(expected);
      expect(runs.get(id)).toBe(1);
      expect(await reservation(id)).toMatchObject({ state: 'committed', actual: 1 });
    };

    it('at submit: evaluation waits for the database, then the operation completes once', { timeout: 180_000 }, async () => {
      proxy.cut();
      const { id, handle } = submit('job:run', 'record');
      await handle;
      await eventually(async () => (await health()) === 503, '/healthz to report the database down');
      await pause(CUT_MS);
      proxy.restore();
      expect((await (await handle).result()).status).toBe('completed');
      await expectCleanEnd(id, ['policy_decision', 'budget_reserved', 'operation_started', 'operation_completed', 'budget_committed']);
      expect(await health()).toBe(200);
    });

    it('while waiting and at the vote: the vote waits for the database and counts once', { timeout: 180_000 }, async () => {
      const waiting = submit('data:export', 'record');
      const voted = submit('data:export', 'record');
      for (const { id } of [waiting, voted]) await eventually(async () => (await service.client.status(id)).status === 'awaiting_approval', `${id} to wait`);
      proxy.cut();
      const vote = service.decisions.decide({ operationId: voted.id, identity: 'alice', channel: 'api', decision: 'approve' });
      await pause(CUT_MS);
      proxy.restore();
      expect(await vote).toMatchObject({ ok: true, result: { counted: true, outcome: 'approved' } });
      expect(await service.decisions.decide({ operationId: waiting.id, identity: 'carol', channel: 'api', decision: 'approve' })).toMatchObject({ ok: true });
      for (const { id, handle } of [waiting, voted]) {
        expect((await (await handle).result()).status).toBe('completed');
        await expectCleanEnd(id, ['policy_decision', 'budget_reserved', 'approval_requested', 'approval_vote', 'approval_decision', 'operation_started', 'operation_completed', 'budget_committed']);
      }
    });

    it('at commit: the commit waits for the database and counts once', { timeout: 180_000 }, async () => {
      const { id, handle } = submit('job:run', 'cut_then_finish');
      expect((await (await handle).result()).status).toBe('completed');
      await expectCleanEnd(id, ['policy_decision', 'budget_reserved', 'operation_started', 'operation_completed', 'budget_committed']);
    });
  });
}
