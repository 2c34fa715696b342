import { describe, expect, it } from 'vitest';
import { OperationDeniedError } from '../../../src/client/errors.js';
import { parseConfig } from '../../../src/config.js';
import { refusalOf } from '../../../src/integrations/refusal.js';
import { taskStatusOf } from '../../../src/integrations/mcp/taskStore.js';
import { REFUSAL_META, refusalToolResult } from '../../../src/integrations/mcp/toolResults.js';
import { upstreamEnvironment, upstreamTaskQueue } from '../../../src/integrations/mcp/upstream.js';
import type { OperationStatusView } from '../../../src/operation/types.js';

const denial = refusalOf(new OperationDeniedError('op-1', 'denied', { effect: 'deny', rule: 'r', reason: 'no', metadata: {}, policySet: 'p', policyVersion: 'v' }, 'PolicyViolation'));

describe('refusalToolResult', () => {
  it('is an isError result carrying the refusal as text, JSON text, structuredContent and _meta', () => {
    const result = refusalToolResult(denial, { toolHasOutputSchema: false });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toEqual({ tollgate: denial });
    expect(result._meta?.[REFUSAL_META]).toEqual(denial);
    expect(result.content).toEqual([{ type: 'text', text: expect.stringContaining('rule r') }, { type: 'text', text: JSON.stringify({ tollgate: denial }) }]);
  });

  it('leaves structuredContent out for a tool with an outputSchema, which clients would check it against', () => {
    const result = refusalToolResult(denial, { toolHasOutputSchema: true });
    expect(result.structuredContent).toBeUndefined();
    expect(result._meta?.[REFUSAL_META]).toEqual(denial);
  });
});

describe('taskStatusOf', () => {
  const view = (status: OperationStatusView['status'], error?: string): OperationStatusView => ({ id: 'op', status, input: { subject: { identifier: 'a' }, action: 'mcp:call', resource: 'mcp://s/t' }, error });
  it('maps an operation onto MCP task states: waits are working, refusals are failed (as for isError results)', () => {
    expect(taskStatusOf(view('awaiting_approval')).status).toBe('working');
    expect(taskStatusOf(view('executing')).status).toBe('working');
    expect(taskStatusOf(view('completed'))).toEqual({ status: 'completed' });
    expect(taskStatusOf(view('denied', 'denied by rule r'))).toEqual({ status: 'failed', statusMessage: 'denied by rule r' });
    expect(taskStatusOf(view('expired')).status).toBe('failed');
    expect(taskStatusOf(view('cancelled')).status).toBe('cancelled');
  });
});

describe('upstreamTaskQueue', () => {
  it('is the same for the same upstream and differs between upstreams', () => {
    const a = upstreamTaskQueue({ name: 'db', spec: { command: 'node', args: ['server.js'], cwd: '/srv' } });
    expect(a).toBe(upstreamTaskQueue({ name: 'db', spec: { command: 'node', args: ['server.js'], cwd: '/srv' } }));
    expect(a).toMatch(/^tollgate-mcp-db-[0-9a-f]{12}$/);
    expect(a).not.toBe(upstreamTaskQueue({ name: 'db', spec: { command: 'node', args: ['other.js'], cwd: '/srv' } }));
    expect(upstreamTaskQueue({ name: 'db', spec: { url: 'http://a/mcp' } })).not.toBe(upstreamTaskQueue({ name: 'db', spec: { url: 'http://b/mcp' } }));
  });
});

describe('upstreamEnvironment', () => {
  it('passes the gateway\'s environment on, without Tollgate\'s secrets', () => {
    const env = upstreamEnvironment({ PATH: '/bin', GITHUB_TOKEN: 'for-the-upstream', SLACK_BOT_TOKEN: 'x', SLACK_SIGNING_SECRET: 'x', DATABASE_URL: 'x', TEMPORAL_API_KEY: 'x', TOLLGATE_CONFIG: 'x' });
    expect(env).toEqual({ PATH: '/bin', GITHUB_TOKEN: 'for-the-upstream' });
  });
});

describe('config mcp', () => {
  it('has defaults that hold a call below the SDK client\'s 60 s request timeout', () => {
    expect(parseConfig({}, { env: {} }).mcp).toEqual({ agents: [], costs: {}, holdTimeout: '50s', progressInterval: '10s', dedupeWindow: '10m' });
  });

  it('names the field and the fix for a token that is not a SHA-256', () => {
    expect(() => parseConfig({ mcp: { agents: [{ tokenSha256: 'secret-token', subject: { identifier: 'a' } }] } }, { env: {}, source: 'tollgate.yaml' }))
      .toThrow(/tollgate\.yaml: mcp\.agents\.0\.tokenSha256: expected 64 lowercase hex digits: the SHA-256 of the token/);
  });
});
