import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/** The test upstream (mcpUpstream.ts) and how it names itself. */
export const UPSTREAM_SCRIPT = fileURLToPath(new URL('./mcpUpstream.ts', import.meta.url));
export const UPSTREAM_NAME = 'orders-db';
const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** The command that starts the test upstream over stdio. */
export const upstreamCommand = () => [process.execPath, '--import', 'tsx', UPSTREAM_SCRIPT];

/** The calls the upstream ran, from its ledger file. */
export function upstreamCalls(ledger: string): Array<{ tool: string; args: Record<string, unknown>; pid: number }> {
  if (!existsSync(ledger)) return [];
  return readFileSync(ledger, 'utf8').split('\n').filter(Boolean).map((line) => {
    const [tool, args, pid] = line.split('\t');
    return { tool, args: JSON.parse(args), pid: Number(pid) };
  });
}

/** Wait for a line on a child's stream that matches, and return the match. */
function lineFrom(child: ChildProcess, stream: 'stdout' | 'stderr', pattern: RegExp, what: string): Promise<RegExpMatchArray> {
  let seen = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start in 60s:\n${seen}`)), 60_000);
    child[stream]!.on('data', (chunk) => {
      seen += chunk;
      const match = pattern.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${seen}`));
    });
  });
}

export interface ChildService {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess) {
  return () => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** The test upstream serving Streamable HTTP on a free port. */
export async function startHttpUpstream(ledger: string): Promise<ChildService> {
  const child = spawn(process.execPath, ['--import', 'tsx', UPSTREAM_SCRIPT, '--http', '0'], { env: { ...process.env, MCP_UPSTREAM_LEDGER: ledger }, stdio: ['ignore', 'pipe', 'inherit'] });
  const [, url] = await lineFrom(child, 'stdout', /listening (\S+)\n/, 'the HTTP upstream');
  return { url, child, stop: stopper(child) };
}

/** `tollgate mcp --listen 0 ...` as a child process; resolves once it serves. */
export async function startHttpGateway(configFile: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildService> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--config', configFile, 'mcp', '--listen', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'pipe'] });
  child.stderr!.on('data', (chunk) => process.stderr.write(chunk));
  const [, url] = await lineFrom(child, 'stderr', /at (http:\S+);/, 'tollgate mcp --listen');
  return { url, child, stop: stopper(child) };
}

/** The SDK's own client, over stdio to `tollgate mcp ...` (which it starts) or to the plain upstream. */
export async function stdioClient(command: string[], env: Record<string, string> = {}): Promise<Client> {
  const [executable, ...args] = command;
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: executable, args, env: { ...process.env, ...env } as Record<string, string>, stderr: 'inherit' }));
  return client;
}

export const gatewayCommand = (configFile: string, args: string[]) => [process.execPath, '--import', 'tsx', CLI, '--config', configFile, 'mcp', ...args];

/** The SDK's own client over Streamable HTTP, with an agent's bearer token. */
export async function httpClient(url: string, token?: string): Promise<Client> {
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {}));
  return client;
}
