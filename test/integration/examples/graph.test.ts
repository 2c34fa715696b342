import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestTemporal, type TestTemporal } from '../../support/temporal.js';
import { RecordingApprovalSink, quietTemporalRuntime } from '../../support/governance.js';
import { GovernanceClient } from '../../../src/client/GovernanceClient.js';
import { createTollgateWorker, type TollgateWorker } from '../../../src/service/worker.js';
import { parseConfig } from '../../../src/config.js';
import { runReportGraph } from '../../../examples/graph/reportGraph.js';
import { openTestDatabase, type TestDatabase } from '../../support/databases.js';
import { TEST_APPROVER, approveOperation } from '../../support/approve.js';

let temporal: TestTemporal;
let worker: TollgateWorker;
let client: GovernanceClient;
let db: TestDatabase;

beforeAll(async () => {
  quietTemporalRuntime();
  temporal = await startTestTemporal();
  db = await openTestDatabase('pglite');
  const store = { pool: db.pool, kind: db.kind, url: db.url, close: async () => undefined };
  const config = parseConfig({
    policy: 'preset:enterprise',
    temporal: { address: temporal.address, taskQueue: 'graph-example' },
    approvers: [TEST_APPROVER],
  }, { env: {}, baseDir: mkdtempSync(join(tmpdir(), 'tollgate-graph-')) });
  worker = await createTollgateWorker({ config, approvals: new RecordingApprovalSink(), connection: temporal.nativeConnection, store });
  void worker.run();
  client = await GovernanceClient.connect(config, { store });
});

afterAll(async () => {
  await client?.close();
  await worker?.shutdown();
  await temporal?.close();
  await db?.close();
});

it('runs the LangGraph example without a model: allowed read, approval-gated model call, denied shell tool, safe fallback', async () => {
  const waitedFor: string[] = [];
  const state = await runReportGraph({
    client,
    onAwaitingApproval: async (node, view) => {
      waitedFor.push(node);
      await approveOperation(client, view.id);
    },
  }, `graph-${Date.now()}`);
  expect(waitedFor).toEqual(['summarise']);
  expect(state.log).toEqual([
    'fetch: allow by analyst_readonly',
    'summarise: approved by alice',
    'publish_via_shell: denied by block_dangerous_tools; falling back',
    'publish_via_safe_tool: allow by allow_safe_tools',
  ]);
  expect(state.published).toBe('web_search');
  expect(state.summary).toBe('sales total 361');
  const [agentBudget] = await client.budgetStatus({ user: 'agent-reporter' });
  expect(agentBudget.spent).toBe(2.5);
});
