/**
 * A real MCP server for the gateway tests, written with the SDK: `echo` (harmless) and `search`
 * (takes a `query`, the argument the SQL injection detector judges). Every call it runs appends
 * `<tool>\t<arguments JSON>\t<pid>` to MCP_UPSTREAM_LEDGER, so a test can count side effects.
 *
 *   node --import tsx test/support/mcpUpstream.ts              # stdio
 *   node --import tsx test/support/mcpUpstream.ts --http 0     # Streamable HTTP; prints "listening <url>"
 *
 * `echo` with text "crash" exits mid-call. `echo` with text "register late_tool" adds a third tool, which makes the server send
 * notifications/tools/list_changed: how a test sees the gateway follow list changes.
 */
import { appendFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { UPSTREAM_NAME } from './mcpProcesses.js';

const ledger = process.env.MCP_UPSTREAM_LEDGER;
const record = (tool: string, args: unknown) => {
  if (ledger) appendFileSync(ledger, `${tool}\t${JSON.stringify(args)}\t${process.pid}\n`);
};

function upstreamServer(): McpServer {
  const server = new McpServer({ name: UPSTREAM_NAME, version: '1.2.3' }, { instructions: 'Orders database tools.' });
  server.registerTool('echo', {
    description: 'Repeat the text back',
    inputSchema: { text: z.string().describe('what to repeat') },
  }, async ({ text }) => {
    record('echo', { text });
    if (text === 'crash') process.exit(1); // mid-call, before answering
    if (text === 'register late_tool') {
      server.registerTool('late_tool', { description: 'Registered after start' }, async () => ({ content: [{ type: 'text', text: 'late' }] }));
    }
    return { content: [{ type: 'text', text: `echo: ${text}` }] };
  });
  server.registerTool('search', {
    description: 'Search orders by customer name',
    inputSchema: { query: z.string().describe('customer name to look for'), limit: z.number().int().optional() },
    outputSchema: { matches: z.array(z.string()), cost: z.number() },
  }, async ({ query, limit }) => {
    record('search', { query, limit });
    const matches = [`order for ${query}`].slice(0, limit ?? 10);
    return { content: [{ type: 'text', text: JSON.stringify({ matches }) }], structuredContent: { matches, cost: 0.25 } };
  });
  return server;
}

const httpFlag = process.argv.indexOf('--http');
if (httpFlag === -1) {
  await upstreamServer().connect(new StdioServerTransport());
  // A stdio server's session is its stdin: when the gateway goes away, so does this process.
  process.stdin.once('end', () => process.exit(0));
} else {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const http = createServer(async (req, res) => {
    const sessionId = req.headers['mcp-session-id'];
    let transport = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
    if (!transport) {
      const created: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({ sessionIdGenerator: randomUUID, onsessioninitialized: (id) => void transports.set(id, created) });
      await upstreamServer().connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res);
  });
  http.listen(Number(process.argv[httpFlag + 1] ?? 0), '127.0.0.1', () => {
    process.stdout.write(`listening http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
}
