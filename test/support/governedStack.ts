import { GovernanceClient } from '../../src/client/GovernanceClient.js';
import type { TollgateConfig, TollgateConfigFile } from '../../src/config.js';
import { createTollgateWorker, type TollgateWorker } from '../../src/service/worker.js';
import type { Store } from '../../src/store/index.js';
import { TEST_APPROVER } from './approve.js';
import { openTestDatabase, type TestDatabase } from './databases.js';
import { RecordingApprovalSink, quietTemporalRuntime, testConfig } from './governance.js';
import { startTestTemporal, type TestTemporal } from './temporal.js';

/** A real dev server, embedded database, Tollgate worker and client for a policy: what the integration tests run against. */
export interface GovernedStack {
  temporal: TestTemporal;
  db: TestDatabase;
  store: Store;
  config: TollgateConfig;
  worker: TollgateWorker;
  client: GovernanceClient;
  approvals: RecordingApprovalSink;
  close(): Promise<void>;
}

export async function startGovernedStack(policy: unknown, overrides: Partial<TollgateConfigFile> = {}): Promise<GovernedStack> {
  quietTemporalRuntime();
  const temporal = await startTestTemporal();
  const db = await openTestDatabase('pglite');
  const store: Store = { pool: db.pool, kind: db.kind, url: db.url, close: async () => undefined };
  const config = await testConfig(policy, { approvers: [TEST_APPROVER], ...overrides, database: { url: db.url }, address: temporal.address });
  const approvals = new RecordingApprovalSink();
  // The worker runs the configured enrichers, so the security detectors judge operation arguments as in production.
  const worker = await createTollgateWorker({ config, approvals, connection: temporal.nativeConnection, store });
  void worker.run();
  const client = await GovernanceClient.connect(config, { store });
  return {
    temporal, db, store, config, worker, client, approvals,
    async close() {
      await client.close();
      await worker.shutdown();
      await temporal.close();
      await db.close();
    },
  };
}
