/** The real `tollgate` binary against a real dev server: output and DESIGN.md's exit codes. */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTemporal, type TestTemporal } from '../../support/temporal.js';
import { TEST_APPROVERS, WORKFLOW_TEST_POLICY, eventually, quietTemporalRuntime, testConfig } from '../../support/governance.js';
import { startService, type RunningService } from '../../../src/service/service.js';
import { GovernanceClient } from '../../../src/client/GovernanceClient.js';
import { serviceDatabase, type ServiceDatabase } from '../../support/databases.js';

const BIN = fileURLToPath(new URL('../../../bin/tollgate.js', import.meta.url));
let temporal: TestTemporal;
let service: RunningService;
let database: ServiceDatabase;
let client: GovernanceClient;
let configFile: string;
let unreachableConfig: string;

function tollgate(file: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return tollgateWith({}, file, ...args);
}

function tollgateWith(env: Record<string, string>, file: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, '--config', file, ...args], { env: { ...process.env, TOLLGATE_LOG_LEVEL: 'error', ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  quietTemporalRuntime();
  temporal = await startTestTemporal();
  database = await serviceDatabase('pglite');
  const config = await testConfig(WORKFLOW_TEST_POLICY, { address: temporal.address, approvers: TEST_APPROVERS, database: database.config, server: { port: 0 } });
  service = await startService({ config, serveEmbeddedDatabase: true });
  client = service.client;
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-cli-ops-'));
  configFile = join(dir, 'tollgate.yaml');
  await writeFile(configFile, stringify({
    policy: config.policy, temporal: { address: temporal.address, taskQueue: config.temporal.taskQueue }, approvers: TEST_APPROVERS,
    database: { embeddedPort: database.config.embeddedPort }, server: { url: `http://127.0.0.1:${service.port}` },
  }));
  unreachableConfig = join(dir, 'unreachable.yaml');
  await writeFile(unreachableConfig, stringify({ policy: config.policy, temporal: { address: '127.0.0.1:1' } }));
});

afterAll(async () => {
  await service?.stop();
  await database?.close();
  await temporal?.close();
});

const bob = JSON.stringify({ identifier: 'bob', roles: ['engineer'] });

describe('tollgate submit, status and approvals', () => {
  it('exits 0 for a completed operation and 1 for a denied one, with --json giving one document', async () => {
    const allowed = await tollgate(configFile, 'submit', '--subject', bob, '--action', 'job:run', '--resource', 'job://x', '--wait');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/completed \(allow by allow_reads_and_runs\)/);
    const denied = await tollgate(configFile, 'submit', '--subject', bob, '--action', 'data:delete', '--resource', 'dataset://production/x', '--wait', '--json');
    expect(denied.code).toBe(1);
    expect(JSON.parse(denied.stdout)).toMatchObject({ status: 'denied', details: { rule: 'deny_prod_delete' } });
  });

  it('walks an approval with tokens: create, list, a refused self-approval (exit 1), an approval (exit 0), status, revoke', { timeout: 300_000 }, async () => {
    const token = async (who: string) => {
      const created = await tollgate(configFile, 'approvers', 'token', 'create', who, '--expires', '1d', '--json');
      expect(created.code).toBe(0);
      return JSON.parse(created.stdout) as { id: string; identifier: string; token: string; expiresAt: string };
    };
    const alice = await token('alice');
    const bobToken = await token('bob');
    expect(alice).toMatchObject({ identifier: 'alice', token: expect.stringMatching(/^tg_/), expiresAt: expect.any(String) });
    const listed = await tollgate(configFile, 'approvers', 'token', 'list', '--json');
    expect(JSON.parse(listed.stdout).map((t: { id: string }) => t.id)).toEqual(expect.arrayContaining([alice.id, bobToken.id]));
    expect(listed.stdout).not.toContain(alice.token);

    const id = `cli-${Date.now()}`;
    expect((await tollgate(configFile, 'submit', '--id', id, '--subject', bob, '--action', 'data:export', '--resource', 'dataset://sales')).code).toBe(0);
    await eventually(async () => (await client.listApprovals()).some((p) => p.id === id), 'the approval to be listed');
    const list = await tollgate(configFile, 'approvals', 'list');
    expect(list.stdout).toContain(`${id}  bob  data:export  dataset://sales  rule=export_needs_approval`);
    const noToken = await tollgateWith({ TOLLGATE_TOKEN: '' }, configFile, 'approvals', 'approve', id);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('TOLLGATE_TOKEN is not set');
    const claimed = await tollgateWith({ TOLLGATE_TOKEN: bobToken.token }, configFile, 'approvals', 'approve', id, '--as', 'alice');
    expect(claimed.code).toBe(2);
    const self = await tollgateWith({ TOLLGATE_TOKEN: bobToken.token }, configFile, 'approvals', 'approve', id);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain(`${id}: not counted: bob requested this operation and may not approve it`);
    const tokenFile = join(await mkdtemp(join(tmpdir(), 'tollgate-token-')), 'token');
    await writeFile(tokenFile, `${alice.token}\n`, { mode: 0o600 });
    const approved = await tollgateWith({ TOLLGATE_TOKEN: '' }, configFile, 'approvals', 'approve', id, '--token-file', tokenFile, '--note', 'ok');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('approved by alice (1 of 1 approvals)');
    await eventually(async () => (await client.status(id)).status === 'completed', 'completion');
    const status = JSON.parse((await tollgate(configFile, 'status', id, '--json')).stdout);
    expect(status).toMatchObject({ id, status: 'completed', approval: { votes: [{ approver: { identifier: 'alice' }, notes: 'ok' }] } });

    expect((await tollgate(configFile, 'approvers', 'token', 'revoke', alice.id)).code).toBe(0);
    const second = `cli-${Date.now()}-2`;
    await tollgate(configFile, 'submit', '--id', second, '--subject', bob, '--action', 'data:export', '--resource', 'dataset://sales');
    await eventually(async () => (await client.status(second)).status === 'awaiting_approval', 'the second approval');
    const revoked = await tollgateWith({ TOLLGATE_TOKEN: alice.token }, configFile, 'approvals', 'reject', second);
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toContain('was revoked');
    const unreachable = await tollgateWith({ TOLLGATE_TOKEN: alice.token, TOLLGATE_URL: 'http://127.0.0.1:1' }, configFile, 'approvals', 'reject', second);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain('cannot reach the Tollgate service at http://127.0.0.1:1');
    expect((await tollgate(configFile, 'grants', 'list')).stdout).toContain('no live grants');
  });

  it('exits 2 with one line naming the flag for bad input, and 3 when Temporal is unreachable', { timeout: 120_000 }, async () => {
    const badSubject = await tollgate(configFile, 'submit', '--subject', '{"identifier":', '--action', 'a', '--resource', 'r');
    expect(badSubject.code).toBe(2);
    expect(badSubject.stderr.trim().split('\n')).toHaveLength(1);
    expect(badSubject.stderr).toMatch(/^--subject: not valid JSON/);
    const badDuration = await tollgate(configFile, 'approvals', 'list', '--stuck-for', 'soon');
    expect(badDuration.code).toBe(2);
    expect(badDuration.stderr).toContain('--stuck-for: expected a duration');
    const unknown = await tollgate(configFile, 'status', 'no-such-operation');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no governed operation with id no-such-operation');
    const unreachable = await tollgate(unreachableConfig, 'status', 'x');
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain('cannot reach Temporal at 127.0.0.1:1');
  });
});
