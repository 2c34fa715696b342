import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
let dir: string;
let emptyConfig: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tollgate-mcp-cli-'));
  emptyConfig = join(dir, 'tollgate.yaml');
  await writeFile(emptyConfig, '{}\n');
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function tollgateMcp(...args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, '--config', emptyConfig, 'mcp', ...args], (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('tollgate mcp: bad input is exit code 2 with one line naming the flag', () => {
  it.each([
    [[], '--upstream: name the upstream MCP server'],
    [['--upstream', '--upstream-url', 'http://x/mcp', '--subject', '{"identifier":"a"}', '--', 'node'], '--upstream-url: give either'],
    [['--upstream-url', 'not a url', '--subject', '{"identifier":"a"}'], '--upstream-url: "not a url" is not a URL'],
    [['--upstream', '--', 'node', 'server.js'], '--subject: serving stdio needs the subject'],
    [['--listen', '0', '--subject', '{"identifier":"a"}', '--upstream', '--', 'node'], '--subject: over HTTP each agent\'s token names its subject'],
    [['--listen', 'many', '--upstream', '--', 'node'], '--listen: expected a port number'],
    [['--subject', '{"roles":[]}', '--upstream', '--', 'node'], '--subject identifier'],
    [['--listen', '0', '--upstream', '--', 'node'], 'mcp.agents: serving HTTP needs at least one agent token'],
  ])('%j', async (args, message) => {
    const run = await tollgateMcp(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });
});
