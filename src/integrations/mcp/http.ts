import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { TollgateConfig } from '../../config.js';
import type { PolicySubject } from '../../policy/types.js';
import type { McpGateway } from './gateway.js';

export interface McpHttpOptions {
  port: number;
  /** Default 127.0.0.1: put a TLS-terminating proxy in front before listening elsewhere. */
  host?: string;
  agents: TollgateConfig['mcp']['agents'];
}

export interface McpHttpListener {
  /** e.g. http://127.0.0.1:8765/mcp */
  url: string;
  close(): Promise<void>;
}

const MCP_PATH = '/mcp';
const MAX_BODY_BYTES = 4 * 1024 * 1024;

interface Session {
  transport: StreamableHTTPServerTransport;
  /** The agent that opened it: another agent's token cannot use it. */
  tokenSha256: string;
}

/**
 * Streamable HTTP for the gateway. Every request carries an agent's bearer token; config maps its
 * SHA-256 to the subject the calls run as (an unknown token gets 401). Each MCP session belongs to
 * the agent that opened it.
 */
export async function listenMcpHttp(gateway: McpGateway, options: McpHttpOptions): Promise<McpHttpListener> {
  const agents = options.agents.map((agent) => ({ digest: Buffer.from(agent.tokenSha256, 'hex'), tokenSha256: agent.tokenSha256, subject: agent.subject }));
  const sessions = new Map<string, Session>();

  const agentOf = (req: IncomingMessage): { tokenSha256: string; subject: PolicySubject } | undefined => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!match) return undefined;
    const digest = createHash('sha256').update(match[1]).digest();
    // Compare every digest in constant time, so timing does not reveal which agents exist.
    let found: (typeof agents)[number] | undefined;
    for (const agent of agents) if (timingSafeEqual(agent.digest, digest)) found = agent;
    return found;
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) jsonRpcError(res, 500, -32603, `gateway error: ${(error as Error).message}`);
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (new URL(req.url ?? '/', 'http://gateway').pathname !== MCP_PATH) return jsonRpcError(res, 404, -32601, `the MCP endpoint is ${MCP_PATH}`);
    const agent = agentOf(req);
    if (!agent) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="tollgate-mcp"');
      return jsonRpcError(res, 401, -32001, 'unauthorized: send Authorization: Bearer <agent token> (config mcp.agents lists each token\'s SHA-256)');
    }
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    if (body instanceof Error) return jsonRpcError(res, 400, -32700, body.message);
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId);
      if (!session || session.tokenSha256 !== agent.tokenSha256) return jsonRpcError(res, 404, -32001, 'unknown session: initialize a new one');
      return session.transport.handleRequest(req, res, body);
    }
    if (req.method !== 'POST' || !isInitializeRequest(body)) return jsonRpcError(res, 400, -32000, 'no session: send an initialize request first');
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => void sessions.set(id, { transport, tokenSha256: agent.tokenSha256 }),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await gateway.serverFor(agent.subject).connect(transport);
    await transport.handleRequest(req, res, body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}${MCP_PATH}`,
    async close() {
      await Promise.all([...sessions.values()].map((session) => session.transport.close().catch(() => undefined)));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return new Error(`request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return new Error('request body is not JSON');
  }
}

function jsonRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}
