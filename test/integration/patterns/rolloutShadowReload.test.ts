/**
 * The seed's gradual rollout and what goes past it, through a running service: a rollout at 50%
 * that running workers move to 100% without a restart, a shadow set whose divergences land in the
 * audit trail, hot reload of a changed policy file (and refusal of a broken one), and `tollgate
 * policy diff` over the recorded history, a "cannot replay" case included.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestTemporal, type TestTemporal } from '../../support/temporal.js';
import { eventually, quietTemporalRuntime } from '../../support/governance.js';
import { serviceDatabase, type ServiceDatabase } from '../../support/databases.js';
import { startService, type RunningService } from '../../../src/service/service.js';
import { parseConfig } from '../../../src/config.js';
import { inRollout } from '../../../src/patterns/rollout.js';
import { AuditTrail } from '../../../src/audit/index.js';
import { OperationDeniedError } from '../../../src/client/errors.js';

const BIN = fileURLToPath(new URL('../../../bin/tollgate.js', import.meta.url));

function tollgate(configFile: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, '--config', configFile, ...args], { env: { ...process.env, TOLLGATE_LOG_LEVEL: 'error' } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const set = (name: string, rules: unknown[]) => ({ name, rules });
const READS_ALLOWED = { name: 'reads_allowed', effect: 'allow', actions: ['data:read'] };

let temporal: TestTemporal;
beforeAll(async () => {
  quietTemporalRuntime();
  temporal = await startTestTemporal();
});
afterAll(async () => temporal?.close());

interface Stack {
  service: RunningService;
  database: ServiceDatabase;
  configFile: string;
  dir: string;
  decide(id: string, subject?: { identifier: string; roles?: string[] }, resource?: string, context?: Record<string, unknown>): Promise<{ effect: string; rule: string | null; role?: string }>;
}

async function stack(files: Record<string, unknown>, configFor: (dir: string) => Record<string, unknown>): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-rollout-'));
  for (const [file, content] of Object.entries(files)) await writeFile(join(dir, file), stringify(content));
  const database = await serviceDatabase('pglite');
  const raw = { ...configFor(dir), temporal: { address: temporal.address, taskQueue: `rollout-${Math.random().toString(36).slice(2, 8)}` }, database: database.config, server: { port: 0 } };
  const configFile = join(dir, 'tollgate.yaml');
  await writeFile(configFile, stringify(raw));
  const config = parseConfig(raw, { baseDir: dir, env: {}, source: configFile });
  const service = await startService({ config, serveEmbeddedDatabase: true });
  return {
    service, database, configFile, dir,
    async decide(id, subject = { identifier: 'ann' }, resource = 'dataset://sales', context) {
      const handle = await service.client.submit({ id, subject, action: 'data:read', resource, context });
      try {
        const result = await handle.result();
        return { effect: result.decision.effect, rule: result.decision.rule, role: (await service.client.status(id)).policyRole };
      } catch (error) {
        if (!(error instanceof OperationDeniedError)) throw error;
        return { effect: 'deny', rule: error.decision?.rule ?? null, role: (await service.client.status(id)).policyRole };
      }
    },
  };
}

describe('a rollout at 50%, moved at run time, with a shadow set', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await stack({
      'strict.yaml': set('strict', [{ name: 'strict_no_reads', effect: 'deny', actions: ['data:read'] }]),
      'permissive.yaml': set('permissive', [READS_ALLOWED]),
      'shadow.yaml': set('candidate', [{ name: 'candidate_no_pii', effect: 'deny', actions: ['data:read'], resources: ['dataset://pii/*'] }, READS_ALLOWED]),
    }, (dir) => ({ rollout: { strict: join(dir, 'strict.yaml'), permissive: join(dir, 'permissive.yaml'), percentage: 50 }, shadow: join(dir, 'shadow.yaml') }));
  });
  afterAll(async () => {
    await s?.service.stop();
    await s?.database.close();
  });

  it('lets a stable hash of the operation id pick the set, and records which set decided', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `rollout-a-${i}`);
    const outcomes = await Promise.all(ids.map((id) => s.decide(id)));
    ids.forEach((id, i) => {
      const strict = inRollout(id, 50);
      expect(outcomes[i], id).toEqual(strict ? { effect: 'deny', rule: 'strict_no_reads', role: 'strict' } : { effect: 'allow', rule: 'reads_allowed', role: 'permissive' });
    });
    expect(new Set(outcomes.map((o) => o.role))).toEqual(new Set(['strict', 'permissive']));
    const entries = await new AuditTrail(s.service.store.pool).query({ type: 'policy_decision' });
    for (const id of ids) expect(entries.find((e) => e.operationId === id)?.data.policyRole).toBe(inRollout(id, 50) ? 'strict' : 'permissive');
  });

  it('moves running workers to 100% with `tollgate rollout set`, without a restart', async () => {
    const set100 = await tollgate(s.configFile, 'rollout', 'set', '100');
    expect(set100.code).toBe(0);
    expect(set100.stdout).toContain('50% → 100%');
    expect(JSON.parse((await tollgate(s.configFile, 'rollout', 'status', '--json')).stdout)).toMatchObject({ rollout: true, percentage: 100 });
    let n = 0;
    await eventually(async () => (await s.decide(`rollout-b-${++n}`)).role === 'strict' && (await s.decide(`rollout-b-${++n}`)).role === 'strict', 'the workers to pick up 100%');
    const after = await Promise.all(Array.from({ length: 10 }, (_, i) => s.decide(`rollout-c-${i}`)));
    expect(after.every((o) => o.role === 'strict')).toBe(true);
    expect((await new AuditTrail(s.service.store.pool).query({ type: 'rollout_changed' }))[0]).toMatchObject({ outcome: '100%', data: { percentage: 100, previous: 50 } });
  });

  it('audits every divergence of the shadow set and summarises them by rule pair', async () => {
    await tollgate(s.configFile, 'rollout', 'set', '0');
    await eventually(async () => (await s.decide(`shadow-probe-${Date.now()}`)).role === 'permissive', 'the workers to pick up 0%');
    for (let i = 0; i < 3; i++) expect(await s.decide(`shadow-${i}`, { identifier: 'ann' }, `dataset://pii/t${i}`)).toMatchObject({ effect: 'allow' });
    const diff = JSON.parse((await tollgate(s.configFile, 'rollout', 'diff', '--since', '1h', '--json')).stdout);
    expect(diff.groups).toContainEqual(expect.objectContaining({
      enforced: { effect: 'allow', rule: 'reads_allowed' }, shadow: { effect: 'deny', rule: 'candidate_no_pii' }, count: 3,
    }));
    const [divergence] = await new AuditTrail(s.service.store.pool).query({ operationId: 'shadow-0', type: 'policy_shadow_divergence' });
    expect(divergence.data).toMatchObject({ enforced: { effect: 'allow', rule: 'reads_allowed' }, shadow: { effect: 'deny', rule: 'candidate_no_pii', policySet: 'candidate' } });
  });
});

describe('hot reload and policy diff on an enforced set', () => {
  let s: Stack;
  const policyFile = () => join(s.dir, 'policy.yaml');
  const healthVersion = async () => ((await (await fetch(`http://127.0.0.1:${s.service.port}/healthz`)).json()) as { policy: { sets: Array<{ version: string }> } }).policy.sets[0].version;

  beforeAll(async () => {
    s = await stack({ 'policy.yaml': set('reads', [{ name: 'secret_reads_denied', effect: 'deny', actions: ['data:read'], constraints: [{ key: 'api_token', exists: true }] }, READS_ALLOWED]) }, (dir) => ({ policy: join(dir, 'policy.yaml') }));
  });
  afterAll(async () => {
    await s?.service.stop();
    await s?.database.close();
  });

  it('applies a valid new version to new evaluations and audits it; refuses a broken one and keeps the old', async () => {
    expect(await s.decide('reload-1', { identifier: 'ann' }, 'dataset://archive/x')).toMatchObject({ effect: 'allow', rule: 'reads_allowed' });
    const before = await healthVersion();
    await writeFile(policyFile(), stringify(set('reads', [{ name: 'archive_closed', effect: 'deny', actions: ['data:read'], resources: ['dataset://archive/*'] }, READS_ALLOWED])));
    await eventually(async () => (await healthVersion()) !== before, '/healthz to report the new version');
    expect(await s.decide('reload-2', { identifier: 'ann' }, 'dataset://archive/x')).toMatchObject({ effect: 'deny', rule: 'archive_closed' });
    const loaded = await new AuditTrail(s.service.store.pool).query({ type: 'policy_loaded' });
    expect(loaded.at(-1)?.data).toMatchObject({ role: 'enforced', version: await healthVersion(), previous: before });

    const inForce = await healthVersion();
    await writeFile(policyFile(), 'name: reads\nrules:\n  - name: broken\n    effect: allwo\n');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await healthVersion()).toBe(inForce);
    expect(await s.decide('reload-3', { identifier: 'ann' }, 'dataset://archive/y')).toMatchObject({ effect: 'deny', rule: 'archive_closed' });
    expect((await new AuditTrail(s.service.store.pool).query({ type: 'policy_loaded' })).length).toBe(loaded.length);
  });

  it('`tollgate policy diff` replays the recorded history: exit 0 when nothing changes, 1 with the changes and what cannot be replayed', async () => {
    await writeFile(policyFile(), stringify(set('reads', [READS_ALLOWED])));
    await eventually(async () => (await s.decide(`diff-probe-${Date.now()}`, { identifier: 'ann' }, 'dataset://archive/z')).rule === 'reads_allowed', 'the reload');
    const since = new Date().toISOString();
    expect(await s.decide('diff-1', { identifier: 'ann' }, 'dataset://finance/q3')).toMatchObject({ effect: 'allow' });
    expect(await s.decide('diff-2', { identifier: 'ann' }, 'dataset://sales/q3', { api_token: 'tg_secretsecretsecretsecretsecretsecretsecret1' })).toMatchObject({ effect: 'allow' });
    const same = join(s.dir, 'same.yaml');
    await writeFile(same, stringify(set('reads', [READS_ALLOWED])));
    const unchanged = await tollgate(s.configFile, 'policy', 'diff', same, '--since', since);
    expect(unchanged.code).toBe(0);
    expect(unchanged.stdout).toMatch(/0 changed, 0 cannot replay/);

    const stricter = join(s.dir, 'stricter.yaml');
    await writeFile(stricter, stringify(set('stricter', [
      { name: 'finance_closed', effect: 'deny', actions: ['data:read'], resources: ['dataset://finance/*'] },
      { name: 'tokens_denied', effect: 'deny', actions: ['data:read'], constraints: [{ key: 'api_token', exists: true }] },
      READS_ALLOWED,
    ])));
    const changed = await tollgate(s.configFile, 'policy', 'diff', stricter, '--since', since, '--json');
    expect(changed.code).toBe(1);
    const report = JSON.parse(changed.stdout);
    expect(report.changed.map((c: { recorded: { operationId: string } }) => c.recorded.operationId)).toContain('diff-1');
    expect(report.byRulePair).toContainEqual({ from: { effect: 'allow', rule: 'reads_allowed' }, to: { effect: 'deny', rule: 'finance_closed' }, count: 1 });
    expect(report.cannotReplay).toContainEqual(expect.objectContaining({ reason: 'rule tokens_denied tests api_token, which was redacted in the audit trail', recorded: expect.objectContaining({ operationId: 'diff-2' }) }));
  });
});
