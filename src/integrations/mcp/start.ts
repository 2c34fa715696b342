import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { GovernanceClient } from '../../client/GovernanceClient.js';
import type { TollgateConfig } from '../../config.js';
import type { PolicySubject } from '../../policy/types.js';
import { TollgateInputError } from '../../errors.js';
import { createMcpGateway, type McpGateway } from './gateway.js';
import { listenMcpHttp } from './http.js';
import { createOperationWorker } from './operationWorker.js';
import { connectUpstream, upstreamTaskQueue, type UpstreamSpec } from './upstream.js';

export interface StartMcpGatewayOptions {
  config: TollgateConfig;
  upstream: UpstreamSpec;
  /** The server name in resources (`mcp://<name>/<tool>`); default: what the upstream calls itself. */
  name?: string;
  /** Default: derived from the name and the upstream (stable across restarts). */
  taskQueue?: string;
  /** Serve this process's stdin and stdout for one subject, or Streamable HTTP for the agents in config. */
  serve: { stdio: { subject: PolicySubject } } | { http: { port: number; host?: string } };
}

export interface RunningMcpGateway {
  gateway: McpGateway;
  /** The Streamable HTTP endpoint, when serving HTTP. */
  url?: string;
  /** Number of tools the upstream listed at start. */
  tools: number;
  /** Resolves when the gateway has stopped, saying why. */
  closed: Promise<'closed' | 'upstream closed'>;
  close(): Promise<void>;
}

/**
 * Put a governed MCP server in front of an upstream one (what `tollgate mcp` runs): connect to
 * Temporal, the audit store and the upstream, start the worker that runs the upstream calls
 * once their gate opens, and serve clients. Everything is closed again if a step fails.
 */
export async function startMcpGateway(options: StartMcpGatewayOptions): Promise<RunningMcpGateway> {
  const { config } = options;
  if ('http' in options.serve && config.mcp.agents.length === 0) {
    throw new TollgateInputError('mcp.agents: serving HTTP needs at least one agent token (tokenSha256 and subject) in the config', 'mcp.agents');
  }
  const cleanup: Array<() => Promise<unknown>> = [];
  let stopping = false;
  const closeAll = async () => {
    stopping = true;
    for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    const client = await GovernanceClient.connect(config);
    cleanup.push(() => client.close());
    const upstream = await connectUpstream(options.upstream, { name: options.name });
    cleanup.push(() => upstream.close());
    const taskQueue = options.taskQueue ?? upstreamTaskQueue(upstream);
    const gateway = await createMcpGateway({ client, upstream, settings: config.mcp, taskQueue });
    cleanup.push(() => gateway.close());
    const worker = await createOperationWorker({
      config, taskQueue, operations: gateway.operations, describeResult: gateway.describeResult,
      identity: `tollgate-mcp-${upstream.name}-${process.pid}`,
    });
    const running = worker.run();
    cleanup.push(() => worker.shutdown());

    let url: string | undefined;
    let closed: Promise<unknown>;
    if ('http' in options.serve) {
      const listener = await listenMcpHttp(gateway, { ...options.serve.http, agents: config.mcp.agents });
      cleanup.push(() => listener.close());
      url = listener.url;
      closed = running;
    } else {
      const server = gateway.serverFor(options.serve.stdio.subject);
      // The client closing our stdin is how a stdio session ends.
      closed = new Promise<void>((resolve) => {
        process.stdin.once('end', resolve);
        process.stdin.once('close', resolve);
        const forget = server.onclose;
        server.onclose = () => {
          forget?.();
          resolve();
        };
      }).then(closeAll);
      await server.connect(new StdioServerTransport());
    }
    const tools = (await upstream.listAllTools()).length;
    // Without its upstream the gateway can only fail calls: stop, so the client (or a supervisor) starts a fresh one.
    const lost = new Promise<void>((resolve) => {
      upstream.client.onclose = () => {
        if (!stopping) resolve();
      };
    });
    const stopped = Promise.race([closed.then(() => 'closed' as const), lost.then(async () => {
      await closeAll();
      return 'upstream closed' as const;
    })]);
    return { gateway, url, tools, closed: stopped, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
