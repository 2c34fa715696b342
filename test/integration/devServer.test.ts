import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { InfrastructureUnavailableError } from '../../src/errors.js';
import { TollgateApprovalRequestedAt, TollgateRule, TollgateStatus } from '../../src/temporal/searchAttributes.js';
import { startDevServer } from '../../temporal-config/devServer.js';
import { closeAll, startTestTemporal, type TestTemporal } from '../support/temporal.js';

// The contract from DESIGN.md "Workflow contract", written out so that a drift in code shows here.
const EXPECTED_SEARCH_ATTRIBUTES = {
  TollgateStatus: SearchAttributeType.KEYWORD,
  TollgateAction: SearchAttributeType.KEYWORD,
  TollgateResource: SearchAttributeType.KEYWORD,
  TollgateRequester: SearchAttributeType.KEYWORD,
  TollgateRule: SearchAttributeType.KEYWORD,
  TollgateApprovalRequestedAt: SearchAttributeType.DATETIME,
};

describe('Temporal dev server started by temporal-config/devServer.ts', () => {
  let temporal: TestTemporal;

  beforeAll(async () => {
    temporal = await startTestTemporal();
  });

  afterAll(async () => {
    await closeAll();
  });

  async function tollgateSearchAttributes(): Promise<Record<string, string | undefined>> {
    const { customAttributes } = await temporal.connection.operatorService.listSearchAttributes({ namespace: 'default' });
    const byNumber = new Map(Object.values(SearchAttributeType).map((type) => [encodeSearchAttributeIndexedValueType(type), type]));
    return Object.fromEntries(
      Object.entries(customAttributes ?? {})
        .filter(([name]) => name.startsWith('Tollgate'))
        .map(([name, type]) => [name, byNumber.get(type)]),
    );
  }

  it('serves the default namespace on a localhost address and keeps state in the db file', async () => {
    expect(temporal.address).toMatch(/^127\.0\.0\.1:\d+$/);
    const { namespaceInfo } = await temporal.connection.workflowService.describeNamespace({ namespace: 'default' });
    expect(namespaceInfo?.name).toBe('default');
    expect(existsSync(temporal.dbFile)).toBe(true);
    expect(temporal.server.uiUrl).toBeUndefined();
  });

  it('registers every Tollgate search attribute with its type', async () => {
    expect(await tollgateSearchAttributes()).toEqual(EXPECTED_SEARCH_ATTRIBUTES);
  });

  it('answers visibility queries on the custom search attributes', async () => {
    const taskQueue = `unused-${randomUUID()}`;
    const requestedAt = new Date(Date.now() - 2 * 3600_000);
    const waiting = `awaiting-${randomUUID()}`;
    const done = `completed-${randomUUID()}`;
    await temporal.client.workflow.start('noop', {
      taskQueue,
      workflowId: waiting,
      typedSearchAttributes: [
        { key: TollgateStatus, value: 'awaiting_approval' },
        { key: TollgateRule, value: 'prod-needs-approval' },
        { key: TollgateApprovalRequestedAt, value: requestedAt },
      ],
    });
    await temporal.client.workflow.start('noop', {
      taskQueue,
      workflowId: done,
      typedSearchAttributes: [{ key: TollgateStatus, value: 'completed' }],
    });

    const stuckBefore = new Date(Date.now() - 3600_000).toISOString();
    const query = `TollgateStatus="awaiting_approval" AND TollgateApprovalRequestedAt < "${stuckBefore}" AND TaskQueue="${taskQueue}"`;
    const found = await vi.waitFor(async () => {
      const ids: string[] = [];
      for await (const execution of temporal.client.workflow.list({ query })) ids.push(execution.workflowId);
      expect(ids).toHaveLength(1);
      return ids;
    }, { timeout: 20_000, interval: 250 });
    expect(found).toEqual([waiting]);

    const described = await temporal.client.workflow.getHandle(waiting).describe();
    expect(described.typedSearchAttributes.get(TollgateRule)).toBe('prod-needs-approval');
  });

  it('keeps a started workflow across a restart with the same db file and port', async () => {
    const workflowId = `noop-${randomUUID()}`;
    await temporal.client.workflow.start('noop', { taskQueue: `unused-${randomUUID()}`, workflowId });
    const before = temporal.server;

    await temporal.restart();

    expect(temporal.server.process.pid).not.toBe(before.process.pid);
    expect(before.process.exitCode !== null || before.process.signalCode !== null).toBe(true);
    expect(temporal.server.port).toBe(before.port);
    expect(temporal.server.dbFile).toBe(before.dbFile);
    const description = await temporal.client.workflow.getHandle(workflowId).describe();
    expect(description.type).toBe('noop');
    expect(description.status.name).toBe('RUNNING');
    expect(await tollgateSearchAttributes()).toEqual(EXPECTED_SEARCH_ATTRIBUTES);
    // Workers keep their connection object across the restart too.
    const viaWorkerConnection = await temporal.nativeConnection.workflowService.describeWorkflowExecution({
      namespace: 'default', execution: { workflowId },
    });
    expect(viaWorkerConnection.workflowExecutionInfo?.type?.name).toBe('noop');
  });

  it('adds search attributes that an existing db file lacks when it starts on it', async () => {
    // start-dev's --search-attribute only applies to a fresh db file; simulate one from an older release.
    await temporal.connection.operatorService.removeSearchAttributes({ namespace: 'default', searchAttributes: [TollgateRule.name] });
    expect(await tollgateSearchAttributes()).not.toHaveProperty(TollgateRule.name);

    await temporal.restart();

    expect(await tollgateSearchAttributes()).toEqual(EXPECTED_SEARCH_ATTRIBUTES);
  });

  it('refuses a port that is already in use, naming it, and leaves the running server alone', async () => {
    const clash = startDevServer({ temporalCliPath: temporal.server.process.spawnfile, dbFile: temporal.dbFile, headless: true, port: temporal.server.port });
    await expect(clash).rejects.toThrow(InfrastructureUnavailableError);
    await expect(clash).rejects.toThrow(`port ${temporal.server.port} on 127.0.0.1 is already in use`);
    const { namespaceInfo } = await temporal.connection.workflowService.describeNamespace({ namespace: 'default' });
    expect(namespaceInfo?.name).toBe('default');
  });

  it('reports the server\'s last output when it dies while starting', async () => {
    const notAFile = await mkdtemp(join(tmpdir(), 'tollgate-db-is-a-dir-'));
    try {
      const start = startDevServer({ temporalCliPath: temporal.server.process.spawnfile, dbFile: notAFile, headless: true, ports: 'free' });
      await expect(start).rejects.toThrow(InfrastructureUnavailableError);
      await expect(start).rejects.toThrow(/exited \(code 1\) before it answered\nLast server output:\n.*failed starting server/);
    } finally {
      await rm(notAFile, { recursive: true, force: true });
    }
  });
});
