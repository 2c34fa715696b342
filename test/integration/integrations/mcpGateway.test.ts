import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AuditTrail } from '../../../src/audit/index.js';
import { startGovernedStack, type GovernedStack } from '../../support/governedStack.js';
import { TEST_APPROVER, approveOperation } from '../../support/approve.js';
import { eventually } from '../../support/governance.js';
import {
  UPSTREAM_NAME, gatewayCommand, httpClient, startHttpGateway, startHttpUpstream, stdioClient, upstreamCalls, upstreamCommand, type ChildService,
} from '../../support/mcpProcesses.js';

const MCP_POLICY = {
  name: 'mcp-gateway-tests',
  rules: [
    {
      name: 'block_sql_injection', description: 'Arguments that look like SQL injection', effect: 'deny', actions: ['mcp:call'],
      constraints: [{ key: 'contains_sql_injection', equals: true }], priority: 1,
    },
    { name: 'guests_may_not_search', description: 'Guests may not search orders', effect: 'deny', actions: ['mcp:call'], resources: ['mcp://*/search'], subjects: ['role:guest'], priority: 5 },
    { name: 'interns_need_approval', description: 'Interns\' tool calls need a manager', effect: 'require_approval', actions: ['mcp:call'], subjects: ['role:intern'], metadata: { approvalTimeout: '1h' }, priority: 10 },
    { name: 'managers_decide', effect: 'allow', actions: ['approval:decide'], subjects: ['role:manager'], priority: 20 },
    { name: 'agents_call_tools', effect: 'allow', actions: ['mcp:call'], priority: 30 },
  ],
};

const AGENTS = {
  reader: { token: 'reader-token-0123456789', subject: { identifier: 'reader-bot', roles: ['agent'] } },
  guest: { token: 'guest-token-0123456789', subject: { identifier: 'guest-bot', roles: ['guest'] } },
  intern: { token: 'intern-token-0123456789', subject: { identifier: 'intern-bot', roles: ['intern'] } },
};
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let stack: GovernedStack;
let dir: string;
let ledger: string;
let configFile: string;
let shortHoldConfigFile: string;

async function writeGatewayConfig(file: string, mcp: Record<string, unknown>) {
  await writeFile(file, stringify({
    policy: stack.config.policy,
    temporal: { address: stack.config.temporal.address, taskQueue: stack.config.temporal.taskQueue },
    database: { url: stack.db.url },
    mcp: {
      agents: Object.values(AGENTS).map((agent) => ({ tokenSha256: sha256(agent.token), subject: agent.subject })),
      resultCostField: 'cost',
      progressInterval: '1s',
      ...mcp,
    },
  }));
}

beforeAll(async () => {
  stack = await startGovernedStack(MCP_POLICY, { approvers: [TEST_APPROVER] });
  dir = await mkdtemp(join(tmpdir(), 'tollgate-mcp-test-'));
  ledger = join(dir, 'upstream-calls.log');
  configFile = join(dir, 'tollgate.yaml');
  shortHoldConfigFile = join(dir, 'short-hold.yaml');
  await writeGatewayConfig(configFile, { holdTimeout: '60s' });
  await writeGatewayConfig(shortHoldConfigFile, { holdTimeout: '2s' });
});

afterAll(async () => {
  await stack?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const text = (result: CallToolResult) => result.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
const refusal = (result: CallToolResult) => (result._meta?.['tollgate/refusal'] ?? {}) as Record<string, unknown>;
const callsOf = (tool: string, match: (args: Record<string, unknown>) => boolean) => upstreamCalls(ledger).filter((call) => call.tool === tool && match(call.args));
const stdioGateway = (subject: object, config = configFile) =>
  stdioClient(gatewayCommand(config, ['--subject', JSON.stringify(subject), '--upstream', '--', ...upstreamCommand()]), { MCP_UPSTREAM_LEDGER: ledger });
const awaitingApprovalFor = (requester: string, resource: string) =>
  eventually(async () => (await stack.client.listApprovals()).find((pending) => pending.requester === requester && pending.resource === resource), `an approval request from ${requester}`);

describe('tollgate mcp over stdio, in front of a stdio upstream', () => {
  let upstream: Client;
  let gateway: Client;
  beforeAll(async () => {
    upstream = await stdioClient(upstreamCommand(), { MCP_UPSTREAM_LEDGER: join(dir, 'direct.log') });
    gateway = await stdioGateway(AGENTS.reader.subject);
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  it('lists the tools exactly as the upstream lists them', async () => {
    const [direct, governed] = await Promise.all([upstream.listTools(), gateway.listTools()]);
    expect(governed.tools.map(({ execution: _, ...tool }) => tool)).toEqual(direct.tools.map(({ execution: _, ...tool }) => tool));
    expect(governed.tools.map((tool) => tool.name).sort()).toEqual(['echo', 'search']);
    // Every tool may run as a task through the gateway, whatever the upstream said.
    expect(governed.tools.every((tool) => tool.execution?.taskSupport === 'optional')).toBe(true);
    expect(gateway.getServerVersion()?.name).toBe(UPSTREAM_NAME);
  });

  it('runs an allowed call upstream and returns its result', async () => {
    const result = CallToolResultSchema.parse(await gateway.callTool({ name: 'echo', arguments: { text: 'hello over stdio' } }));
    expect(result.isError).toBeFalsy();
    expect(text(result)).toBe('echo: hello over stdio');
    expect(callsOf('echo', (args) => args.text === 'hello over stdio')).toHaveLength(1);
    const operationId = result._meta?.['tollgate/operation-id'] as string;
    const completed = await new AuditTrail(stack.db.pool).query({ operationId, type: 'operation_completed' });
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ actor: 'reader-bot', action: 'mcp:call', resource: `mcp://${UPSTREAM_NAME}/echo`, rule: 'agents_call_tools' });
    expect(completed[0].data.resultSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('denies an injection in query by the detector rule, without calling the upstream', async () => {
    const query = "1' OR '1'='1";
    const result = CallToolResultSchema.parse(await gateway.callTool({ name: 'search', arguments: { query } }));
    expect(result.isError).toBe(true);
    expect(refusal(result)).toMatchObject({ outcome: 'denied', rule: 'block_sql_injection', policySet: 'mcp-gateway-tests' });
    expect(refusal(result).policyVersion).toMatch(/\w+/);
    expect(text(result)).toContain('rule block_sql_injection');
    // search declares an outputSchema, which clients check structuredContent against: the refusal is in _meta.
    expect(result.structuredContent).toBeUndefined();
    expect(callsOf('search', (args) => args.query === query)).toHaveLength(0);
  });

  it('passes an upstream tool error through as its result, and records that the tool reported an error', async () => {
    const result = CallToolResultSchema.parse(await gateway.callTool({ name: 'no_such_tool', arguments: {} }));
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('no_such_tool');
    const operationId = result._meta?.['tollgate/operation-id'] as string;
    const [completed] = await new AuditTrail(stack.db.pool).query({ operationId, type: 'operation_completed' });
    expect(completed.data).toMatchObject({ toolError: true });
  });
});

describe('an upstream that dies mid-call', { timeout: 120_000 }, () => {
  it('fails the operation without running the call again, audits the failure, and a new gateway reports it', async () => {
    const crasher = { identifier: 'crash-bot', roles: ['agent'] };
    const args = { text: 'crash' };
    const first = await stdioGateway(crasher);
    // The gateway stops when its upstream dies, so this call may end with the connection.
    await first.callTool({ name: 'echo', arguments: args }).catch(() => undefined);
    await first.close();
    const audit = new AuditTrail(stack.db.pool);
    const [decision] = await audit.query({ actor: 'crash-bot', type: 'policy_decision' });
    await eventually(async () => (await stack.client.status(decision.operationId!)).status === 'failed', 'the operation to fail');
    expect(await audit.query({ operationId: decision.operationId!, type: 'operation_failed' })).toHaveLength(1);

    const second = await stdioGateway(crasher);
    try {
      const again = CallToolResultSchema.parse(await second.callTool({ name: 'echo', arguments: args }));
      expect(again.isError).toBe(true);
      expect(refusal(again)).toMatchObject({ outcome: 'failed', operationId: decision.operationId });
      expect(text(again)).toContain('Connection closed');
    } finally {
      await second.close();
    }
    expect(callsOf('echo', (call) => call.text === 'crash')).toHaveLength(1);
  });
});

// These start and stop gateway processes (and their upstreams) several times.
describe('exactly once across a disconnect, over stdio', { timeout: 180_000 }, () => {
  it('a client that disconnects while waiting and calls again gets the same operation, which runs once', async () => {
    const args = { text: 'refund order 42' };
    const first = await stdioGateway(AGENTS.intern.subject);
    const progress: string[] = [];
    const abandoned = first.callTool({ name: 'echo', arguments: args }, undefined, {
      onprogress: (update) => void progress.push(update.message ?? ''), resetTimeoutOnProgress: true, timeout: 120_000,
    }).catch((error: unknown) => error);
    const pending = await awaitingApprovalFor('intern-bot', `mcp://${UPSTREAM_NAME}/echo`);
    await eventually(async () => progress.some((message) => message.includes('waiting for approval under rule interns_need_approval')), 'a progress notification about the wait');
    await first.close(); // the client goes away: its gateway process and upstream exit with it
    expect(await abandoned).toBeInstanceOf(Error);

    const second = await stdioGateway(AGENTS.intern.subject);
    try {
      const again = second.callTool({ name: 'echo', arguments: args }, undefined, { resetTimeoutOnProgress: true, timeout: 120_000 });
      await eventually(async () => (await stack.client.status(pending.id)).status === 'awaiting_approval', 'the same operation to still wait');
      expect(callsOf('echo', (call) => call.text === args.text)).toHaveLength(0);
      await approveOperation(stack.client, pending.id);
      const result = CallToolResultSchema.parse(await again);
      expect(text(result)).toBe('echo: refund order 42');
      expect(result._meta?.['tollgate/operation-id']).toBe(pending.id);
    } finally {
      await second.close();
    }
    expect(callsOf('echo', (call) => call.text === args.text)).toHaveLength(1);
  });

  it('a call held past the hold timeout returns a pending result naming the operation; calling again picks up the outcome', async () => {
    const args = { text: 'held too long' };
    const gateway = await stdioGateway(AGENTS.intern.subject, shortHoldConfigFile);
    try {
      const held = CallToolResultSchema.parse(await gateway.callTool({ name: 'echo', arguments: args }));
      expect(held.isError).toBe(true);
      expect(refusal(held)).toMatchObject({ outcome: 'pending', rule: 'interns_need_approval' });
      expect(text(held)).toContain('Call this tool again with the same arguments');
      const operationId = refusal(held).operationId as string;
      await approveOperation(stack.client, operationId);
      await eventually(async () => (await stack.client.status(operationId)).status === 'completed', 'the operation to complete');
      const picked = CallToolResultSchema.parse(await gateway.callTool({ name: 'echo', arguments: args }));
      expect(text(picked)).toBe('echo: held too long');
      expect(picked._meta?.['tollgate/operation-id']).toBe(operationId);
    } finally {
      await gateway.close();
    }
    expect(callsOf('echo', (call) => call.text === args.text)).toHaveLength(1);
  });
});

describe('tollgate mcp --listen, in front of a Streamable HTTP upstream', () => {
  let upstreamService: ChildService;
  let gatewayService: ChildService;
  beforeAll(async () => {
    upstreamService = await startHttpUpstream(ledger);
    gatewayService = await startHttpGateway(configFile, ['--upstream-url', upstreamService.url]);
  });
  afterAll(async () => {
    await gatewayService?.stop();
    await upstreamService?.stop();
  });

  it('refuses a request without a known agent token with 401', async () => {
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } };
    for (const authorization of [undefined, 'Bearer not-a-known-token']) {
      const response = await fetch(gatewayService.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify(initialize),
      });
      expect(response.status).toBe(401);
    }
  });

  it('lists the upstream\'s tools and runs allowed calls, committing the cost the result reports', async () => {
    const direct = await httpClient(upstreamService.url);
    const reader = await httpClient(gatewayService.url, AGENTS.reader.token);
    try {
      const [listed, governed] = await Promise.all([direct.listTools(), reader.listTools()]);
      expect(governed.tools.map(({ execution: _, ...tool }) => tool)).toEqual(listed.tools.map(({ execution: _, ...tool }) => tool));
      const result = CallToolResultSchema.parse(await reader.callTool({ name: 'search', arguments: { query: 'Ada Lovelace' } }));
      expect(result.structuredContent).toEqual({ matches: ['order for Ada Lovelace'], cost: 0.25 });
      const [spent] = await stack.client.budgetStatus({ user: 'reader-bot' });
      expect(spent.spent).toBeCloseTo(0.25);
    } finally {
      await Promise.all([direct.close(), reader.close()]);
    }
  });

  it('returns a denial as isError with the rule, the policy version and what would change it', async () => {
    const guest = await httpClient(gatewayService.url, AGENTS.guest.token);
    try {
      const result = CallToolResultSchema.parse(await guest.callTool({ name: 'search', arguments: { query: 'Ada' } }));
      expect(result.isError).toBe(true);
      expect(refusal(result)).toMatchObject({ outcome: 'denied', rule: 'guests_may_not_search', reason: 'Guests may not search orders' });
      expect(refusal(result).remedy).toContain('will be denied again');
      expect(text(result)).toContain('rule guests_may_not_search');
      // echo declares no outputSchema: the refusal is structuredContent too.
      const allowed = CallToolResultSchema.parse(await guest.callTool({ name: 'echo', arguments: { text: 'guest hello' } }));
      expect(text(allowed)).toBe('echo: guest hello');
    } finally {
      await guest.close();
    }
    expect(callsOf('search', (args) => args.query === 'Ada')).toHaveLength(0);
  });

  it('returns a task for a task-augmented call and completes it after an approval', async () => {
    const intern = await httpClient(gatewayService.url, AGENTS.intern.token);
    const statuses: string[] = [];
    try {
      await intern.listTools(); // the client learns which tools support tasks
      let taskId = '';
      let approved = false;
      let final: CallToolResult | undefined;
      for await (const message of intern.experimental.tasks.callToolStream({ name: 'echo', arguments: { text: 'as a task' } }, CallToolResultSchema, { task: { ttl: 60_000 } })) {
        if (message.type === 'taskCreated') {
          taskId = message.task.taskId;
          expect(message.task.status).toBe('working');
        }
        if (message.type === 'taskStatus') {
          statuses.push(`${message.task.status}: ${message.task.statusMessage ?? ''}`);
          if (!approved && message.task.statusMessage?.startsWith('waiting for approval')) {
            approved = true;
            await approveOperation(stack.client, taskId);
          }
        }
        if (message.type === 'result') final = message.result;
        if (message.type === 'error') throw message.error;
      }
      expect(statuses).toContainEqual(expect.stringContaining('working: waiting for approval under rule interns_need_approval'));
      expect(statuses.at(-1)).toBe('completed: ');
      expect(text(final!)).toBe('echo: as a task');
      expect((await stack.client.status(taskId)).status).toBe('completed');
    } finally {
      await intern.close();
    }
  });

  it('cancels the operation when the client cancels its task', async () => {
    const intern = await httpClient(gatewayService.url, AGENTS.intern.token);
    try {
      const created = await intern.request(
        { method: 'tools/call', params: { name: 'echo', arguments: { text: 'never mind' }, task: { ttl: 60_000 } } },
        (await import('@modelcontextprotocol/sdk/types.js')).CreateTaskResultSchema,
      );
      await eventually(async () => (await stack.client.status(created.task.taskId)).status === 'awaiting_approval', 'the task to wait for approval');
      const cancelled = await intern.experimental.tasks.cancelTask(created.task.taskId);
      expect(cancelled.status).toBe('cancelled');
      await eventually(async () => (await stack.client.status(created.task.taskId)).status === 'cancelled', 'the operation to be cancelled');
    } finally {
      await intern.close();
    }
    expect(callsOf('echo', (args) => args.text === 'never mind')).toHaveLength(0);
  });

  it('keeps another agent out of a task', async () => {
    const intern = await httpClient(gatewayService.url, AGENTS.intern.token);
    const reader = await httpClient(gatewayService.url, AGENTS.reader.token);
    try {
      const created = await intern.request(
        { method: 'tools/call', params: { name: 'echo', arguments: { text: 'mine only' }, task: {} } },
        (await import('@modelcontextprotocol/sdk/types.js')).CreateTaskResultSchema,
      );
      await expect(reader.experimental.tasks.getTask(created.task.taskId)).rejects.toThrow(/not found/i);
      await expect(reader.experimental.tasks.cancelTask(created.task.taskId)).rejects.toThrow(/not found/i);
      await intern.experimental.tasks.cancelTask(created.task.taskId);
    } finally {
      await Promise.all([intern.close(), reader.close()]);
    }
  });

  it('follows the upstream\'s tool list changes', async () => {
    const reader = await httpClient(gatewayService.url, AGENTS.reader.token);
    try {
      const changed = new Promise<void>((resolve) => reader.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
      await reader.callTool({ name: 'echo', arguments: { text: 'register late_tool' } });
      await changed;
      expect((await reader.listTools()).tools.map((tool) => tool.name)).toContain('late_tool');
    } finally {
      await reader.close();
    }
  });
});
