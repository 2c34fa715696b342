import { createHash } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { InfrastructureUnavailableError, TollgateInputError } from '../../errors.js';

/** The MCP server the gateway governs: a command it starts (stdio) or a Streamable HTTP endpoint. */
export type UpstreamSpec =
  | { command: string; args?: string[]; env?: Record<string, string>; cwd?: string }
  | { url: string; headers?: Record<string, string> };

export interface Upstream {
  client: Client;
  /** The name in `mcp://<name>/<tool>`: `--name`, else what the server calls itself. */
  name: string;
  spec: UpstreamSpec;
  /** Every tool, all pages, as the upstream lists them. */
  listAllTools(): Promise<Tool[]>;
  /** Called when the upstream says its tool list changed. */
  onToolsChanged(listener: () => void): void;
  close(): Promise<void>;
}

/**
 * The environment a stdio upstream starts with: the gateway's own (in a client's config, the env
 * given to `tollgate mcp` is meant for the server it wraps), minus Tollgate's secrets, which the
 * upstream has no business seeing.
 */
export function upstreamEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const secret = /^(SLACK_|TEMPORAL_API_KEY$|DATABASE_URL$|TEST_DATABASE_URL$|TOLLGATE_)/;
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && !secret.test(entry[0])));
}

/** The name ends up in resources and policy globs: no separators or glob characters. */
const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export async function connectUpstream(spec: UpstreamSpec, options: { name?: string } = {}): Promise<Upstream> {
  if (options.name !== undefined && !SERVER_NAME.test(options.name)) {
    throw new TollgateInputError(`--name: "${options.name}" must be 1-64 letters, digits, . _ - (it becomes mcp://<name>/<tool>)`, '--name');
  }
  const client = new Client({ name: 'tollgate-mcp-gateway', version: '1' });
  const transport = 'url' in spec
    ? new StreamableHTTPClientTransport(new URL(spec.url), spec.headers ? { requestInit: { headers: spec.headers } } : {})
    // stderr stays the gateway's: an upstream's diagnostics must not reach the client's protocol stream.
    : new StdioClientTransport({ command: spec.command, args: spec.args ?? [], env: { ...getDefaultEnvironment(), ...spec.env }, cwd: spec.cwd, stderr: 'inherit' });
  try {
    await client.connect(transport);
  } catch (error) {
    await client.close().catch(() => undefined);
    const what = 'url' in spec ? spec.url : [spec.command, ...(spec.args ?? [])].join(' ');
    throw new InfrastructureUnavailableError(`cannot reach the upstream MCP server (${what}): ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  const reported = client.getServerVersion()?.name;
  const name = options.name ?? reported ?? '';
  if (!SERVER_NAME.test(name)) {
    await client.close();
    throw new TollgateInputError(`the upstream calls itself "${reported ?? ''}", which cannot name a resource; pass --name NAME (1-64 letters, digits, . _ -)`, '--name');
  }
  const listeners: Array<() => void> = [];
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    for (const listener of listeners) listener();
  });
  return {
    client,
    name,
    spec,
    async listAllTools() {
      const tools: Tool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : {});
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor);
      return tools;
    },
    onToolsChanged: (listener) => void listeners.push(listener),
    close: () => client.close(),
  };
}

/**
 * The task queue the gateway's worker serves. Stable across restarts of the same gateway, so an
 * operation approved after a client reconnected (and a new gateway process started) still runs;
 * distinct per upstream, so no gateway runs another upstream's calls.
 */
export function upstreamTaskQueue(upstream: Pick<Upstream, 'name' | 'spec'>): string {
  const where = 'url' in upstream.spec ? { url: upstream.spec.url } : { command: upstream.spec.command, args: upstream.spec.args ?? [], cwd: upstream.spec.cwd ?? process.cwd() };
  return `tollgate-mcp-${upstream.name}-${createHash('sha256').update(JSON.stringify(where)).digest('hex').slice(0, 12)}`;
}
