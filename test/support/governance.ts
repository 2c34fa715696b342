import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Runtime } from '@temporalio/worker';
import { stringify } from 'yaml';
import { parseConfig, type TollgateConfig, type TollgateConfigFile } from '../../src/config.js';
import type { ApprovalEvent, ApprovalEventSink } from '../../src/operation/events.js';
import { temporalLogger } from '../../src/temporal/logger.js';

let runtimeInstalled = false;
/** The SDK logs through the one logger, whose level the test env sets (error): expected failures stay quiet. */
export function quietTemporalRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: temporalLogger() });
}

/** A policy set file for tests, and a config pointing at it and at the test server. */
export async function testConfig(policy: unknown, overrides: Partial<TollgateConfigFile> & { address: string; taskQueue?: string }): Promise<TollgateConfig> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-test-'));
  const policyFile = join(dir, 'policy.yaml');
  await writeFile(policyFile, stringify(policy));
  const { address, taskQueue, ...rest } = overrides;
  return parseConfig({
    ...rest,
    policy: policyFile,
    temporal: { address, taskQueue: taskQueue ?? `tollgate-test-${Math.random().toString(36).slice(2, 8)}` },
    // State the service keeps beside its config (key files, audit anchors) goes to the test's own directory.
  }, { env: {}, baseDir: dir });
}

/** Records every approval event the workflow emits, for assertions. */
export class RecordingApprovalSink implements ApprovalEventSink {
  readonly events: ApprovalEvent[] = [];
  async notify(event: ApprovalEvent) {
    this.events.push(structuredClone(event));
    return event.kind === 'requested' ? { channel: 'C-test', ts: `${this.events.length}.0001` } : undefined;
  }
  for(id: string): ApprovalEvent[] {
    return this.events.filter((event) => event.view.id === id);
  }
}

export async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The policy most workflow tests use: one rule per path through the workflow. */
export const WORKFLOW_TEST_POLICY = {
  name: 'workflow-tests',
  rules: [
    { name: 'deny_prod_delete', description: 'No deletes in production', effect: 'deny', actions: ['data:delete'], resources: ['*production*'], priority: 1 },
    { name: 'quick_expiry', effect: 'require_approval', actions: ['data:export'], resources: ['dataset://ephemeral/*'], metadata: { approvalTimeout: '2s' }, priority: 10 },
    { name: 'two_person_rule', effect: 'require_approval', actions: ['data:export'], resources: ['dataset://pii/*'], metadata: { approvalsRequired: 2, approvalTimeout: '1h' }, priority: 11 },
    { name: 'export_needs_approval', description: 'Exports need a manager', effect: 'require_approval', actions: ['data:export'], metadata: { approvalTimeout: '1h' }, priority: 20 },
    { name: 'managers_decide', effect: 'allow', actions: ['approval:decide'], subjects: ['role:manager'], priority: 30 },
    { name: 'allow_reads_and_runs', effect: 'allow', actions: ['data:read', 'job:run'], priority: 40 },
  ],
};

export const TEST_APPROVERS = [
  { identifier: 'alice', slackUserId: 'UALICE', roles: ['manager'] },
  { identifier: 'carol', slackUserId: 'UCAROL', roles: ['manager'] },
  { identifier: 'bob', slackUserId: 'UBOB', roles: ['manager'] },
  { identifier: 'dave', slackUserId: 'UDAVE', roles: ['engineer'] },
];
