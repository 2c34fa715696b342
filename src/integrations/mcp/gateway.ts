import { setTimeout as sleep } from 'node:timers/promises';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema, CallToolResultSchema, ListToolsRequestSchema, McpError, ErrorCode,
  type CallToolRequest, type CallToolResult, type CreateTaskResult, type ServerNotification, type ServerRequest, type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { GovernanceClient } from '../../client/GovernanceClient.js';
import { OperationOutcomeError } from '../../client/errors.js';
import type { TollgateConfig } from '../../config.js';
import { parseDuration } from '../../duration.js';
import { UnknownOperationError, type OperationHandler } from '../../operation/registry.js';
import type { OperationResult, OperationStatusView } from '../../operation/types.js';
import type { PolicySubject } from '../../policy/types.js';
import { operationResult } from '../gate.js';
import { pendingRefusal, progressText, refusalOf, type Refusal } from '../refusal.js';
import { IDEMPOTENCY_KEY, toolCallOperationId } from './operationIds.js';
import type { OperationLookup } from './operationWorker.js';
import { OperationTaskStore, TASK_POLL_INTERVAL_MS } from './taskStore.js';
import { governedToolResult, refusalToolResult } from './toolResults.js';
import type { Upstream } from './upstream.js';
import { valueAtPath } from '../../policy/context.js';

/** Every tools/call is this action on `mcp://<server>/<tool>`. */
export const MCP_CALL_ACTION = 'mcp:call';
const OPERATION_PREFIX = 'mcp:';
const CALL_AGAIN = 'Call this tool again with the same arguments (and idempotency key, if you sent one) to pick up the outcome once a person has decided; it will not run twice.';

export interface McpGatewayOptions {
  client: GovernanceClient;
  upstream: Upstream;
  settings: TollgateConfig['mcp'];
  /** The task queue the gateway's operation worker serves (see upstreamTaskQueue). */
  taskQueue: string;
  /** How long one upstream call may take (ms); default 5 minutes, within the workflow's 10 minute limit. */
  upstreamTimeoutMs?: number;
}

export interface McpGateway {
  readonly name: string;
  readonly taskQueue: string;
  /** The protocol server for one client connection, acting for `subject`. */
  serverFor(subject: PolicySubject): Server;
  /** The handlers the gateway's operation worker runs: one per upstream tool. */
  readonly operations: OperationLookup;
  /** What the audit trail keeps about a tool result: whether the tool itself reported an error. */
  describeResult(result: unknown): Record<string, unknown>;
  close(): Promise<void>;
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * A governed MCP server in front of an upstream one. Tools are listed as the upstream lists them;
 * each tools/call is one governed operation (action mcp:call, resource mcp://<server>/<tool>, the
 * tool's arguments as the operation's arguments) whose handler, run by the gateway's own worker
 * after the gate opens and at most once, is the upstream call: the workflow's result is the tool
 * result, so a client that reconnects and calls again awaits the same run.
 */
export async function createMcpGateway(options: McpGatewayOptions): Promise<McpGateway> {
  const { client, upstream, settings, taskQueue } = options;
  const holdMs = parseDuration(settings.holdTimeout);
  const progressMs = parseDuration(settings.progressInterval);
  const windowMs = parseDuration(settings.dedupeWindow);
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 5 * 60_000;
  const resourceOf = (tool: string) => `mcp://${upstream.name}/${tool}`;

  let tools = new Map<string, Tool>();
  const refreshTools = async () => {
    tools = new Map((await upstream.listAllTools()).map((tool) => [tool.name, tool]));
  };
  await refreshTools();
  const servers = new Set<Server>();
  upstream.onToolsChanged(() => {
    void refreshTools().catch(() => undefined).then(() => {
      for (const server of servers) void server.sendToolListChanged().catch(() => undefined);
    });
  });

  /** The tool result for an ended operation, or the refusal that says why it did not run. */
  const toolResultOf = (id: string, tool: string, settled: { value: OperationResult } | { error: unknown }): CallToolResult => {
    if ('value' in settled) return governedToolResult(CallToolResultSchema.parse(settled.value.result), id);
    if (settled.error instanceof OperationOutcomeError) return refusalResult(tool, refusalOf(settled.error));
    throw settled.error;
  };
  const refusalResult = (tool: string, refusal: Refusal) => refusalToolResult(refusal, { toolHasOutputSchema: tools.get(tool)?.outputSchema !== undefined });

  async function submitCall(subject: PolicySubject, params: CallToolRequest['params']): Promise<string> {
    const tool = params.name;
    const args = params.arguments ?? {};
    const key = params._meta?.[IDEMPOTENCY_KEY];
    const id = await toolCallOperationId(client, { subject, server: upstream.name, tool, args }, { idempotencyKey: typeof key === 'string' ? key : undefined, windowMs });
    const cost = settings.costs[tool] ?? (settings.resultCostField ? 0 : undefined);
    await client.submit({
      id, subject, action: MCP_CALL_ACTION, resource: resourceOf(tool),
      // In the context too, so the approver sees them in Slack and the audit trail keeps them.
      context: { mcp_server: upstream.name, tool, tool_arguments: args },
      operation: { name: `${OPERATION_PREFIX}${tool}`, args, taskQueue, atMostOnce: true },
      ...(cost !== undefined ? { estimatedCost: cost } : {}),
    });
    return id;
  }

  /** Hold the call open until the operation ends or the hold timeout passes, with progress notifications. */
  async function holdCall(id: string, tool: string, extra: Extra): Promise<CallToolResult> {
    const stop = new AbortController();
    const clientGone = () => stop.abort();
    extra.signal.addEventListener('abort', clientGone, { once: true });
    const outcome = operationResult(client, id, stop.signal).then((value) => ({ value }), (error: unknown) => ({ error }));
    const deadline = Date.now() + holdMs;
    const progressToken = extra._meta?.progressToken;
    let progress = 0;
    try {
      for (;;) {
        const wait = Math.max(0, Math.min(progressMs, deadline - Date.now()));
        const settled = await Promise.race([outcome, sleep(wait, undefined, { signal: stop.signal }).then(() => undefined, () => undefined)]);
        if (settled) return toolResultOf(id, tool, settled);
        if (stop.signal.aborted) throw new McpError(ErrorCode.ConnectionClosed, `the client went away; operation ${id} goes on, and the same call picks it up`);
        // Only for the words: a status query that fails (the service restarting) must not fail the call.
        const view = await client.status(id).catch(() => undefined);
        if (Date.now() >= deadline) {
          return refusalResult(tool, view ? pendingRefusal(view, CALL_AGAIN) : { outcome: 'pending', operationId: id, reason: 'still under way', remedy: CALL_AGAIN });
        }
        if (progressToken !== undefined && view) {
          await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress: ++progress, message: progressText(view) } });
        }
      }
    } finally {
      stop.abort();
      extra.signal.removeEventListener('abort', clientGone);
    }
  }

  /** For tasks/result, which asks only once the task is terminal. */
  async function endedResult(id: string): Promise<CallToolResult> {
    const view = await client.status(id);
    const tool = view.input.resource.slice(resourceOf('').length);
    return toolResultOf(id, tool, await client.handle(id).result().then((value) => ({ value }), (error: unknown) => ({ error })));
  }

  function serverFor(subject: PolicySubject): Server {
    const owns = (view: OperationStatusView) =>
      view.input.subject.identifier === subject.identifier && view.input.action === MCP_CALL_ACTION && view.input.resource.startsWith(resourceOf(''));
    const server = new Server(
      { name: upstream.name, title: `${upstream.name} (governed by Tollgate)`, version: upstream.client.getServerVersion()?.version ?? '0' },
      {
        capabilities: { tools: { listChanged: true }, tasks: { cancel: {}, requests: { tools: { call: {} } } } },
        instructions: upstream.client.getInstructions(),
        taskStore: new OperationTaskStore({ client, owns, resultOf: endedResult }),
        defaultTaskPollInterval: TASK_POLL_INTERVAL_MS,
      },
    );
    server.setRequestHandler(ListToolsRequestSchema, async (request) => {
      const page = await upstream.client.listTools(request.params?.cursor ? { cursor: request.params.cursor } : {});
      // Any tool may be called as a task: the wait for a person happens here, not upstream.
      return { ...page, tools: page.tools.map((tool) => ({ ...tool, execution: { ...tool.execution, taskSupport: 'optional' as const } })) };
    });
    server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult | CreateTaskResult> => {
      const id = await submitCall(subject, request.params);
      if (request.params.task && extra.taskStore) {
        return { task: await extra.taskStore.createTask({ ttl: extra.taskRequestedTtl, pollInterval: TASK_POLL_INTERVAL_MS, context: { operationId: id } }) };
      }
      return holdCall(id, request.params.name, extra);
    });
    servers.add(server);
    server.onclose = () => void servers.delete(server);
    return server;
  }

  const operations: OperationLookup = {
    get(name: string): OperationHandler {
      if (!name.startsWith(OPERATION_PREFIX)) throw new UnknownOperationError(name, [`${OPERATION_PREFIX}<tool>`]);
      const tool = name.slice(OPERATION_PREFIX.length);
      return async (args, context) => {
        // The policy judged this action and resource: refuse to run any other tool under it.
        if (context.action !== MCP_CALL_ACTION || context.resource !== resourceOf(tool)) {
          throw new Error(`operation ${context.operationId} was judged as ${context.action} on ${context.resource}, not ${MCP_CALL_ACTION} on ${resourceOf(tool)}: refusing to call ${tool}`);
        }
        const result = await callUpstream(tool, (args ?? {}) as Record<string, unknown>);
        const cost = settings.resultCostField ? numberAt(result.structuredContent, settings.resultCostField) : undefined;
        return cost === undefined ? result : { result, actualCost: cost };
      };
    },
  };

  async function callUpstream(tool: string, args: Record<string, unknown>): Promise<CallToolResult> {
    const request = { name: tool, arguments: args };
    const requestOptions = { timeout: upstreamTimeoutMs, resetTimeoutOnProgress: true, onprogress: () => undefined };
    if (tools.get(tool)?.execution?.taskSupport !== 'required') return CallToolResultSchema.parse(await upstream.client.callTool(request, CallToolResultSchema, requestOptions));
    // An upstream that only runs this tool as a task: wait for the task here.
    for await (const message of upstream.client.experimental.tasks.callToolStream(request, CallToolResultSchema, requestOptions)) {
      if (message.type === 'result') return message.result;
      if (message.type === 'error') throw message.error;
    }
    throw new Error(`upstream task for ${tool} ended without a result`);
  }

  return {
    name: upstream.name,
    taskQueue,
    serverFor,
    operations,
    describeResult: (result) => ({ toolError: (result as CallToolResult | undefined)?.isError === true }),
    async close() {
      await Promise.all([...servers].map((server) => server.close().catch(() => undefined)));
    },
  };
}

/** The number at a dotted path (`usage.cost`) in a tool's structured result. */
function numberAt(value: unknown, path: string): number | undefined {
  const current = valueAtPath(value, path.split('.'));
  return typeof current === 'number' && Number.isFinite(current) && current >= 0 ? current : undefined;
}
