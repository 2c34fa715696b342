import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AuditTrail, auditKeyId, defaultAnchorDir, entryHash, fileAnchorSink, loadAuditKey, policyDecisionEntry, verifyJsonl, type AuditEntry,
} from '../../../src/audit/index.js';
import type { ServiceKey } from '../../../src/keys.js';
import { describeEachDatabase } from '../../support/databases.js';

const BIN = fileURLToPath(new URL('../../../bin/tollgate.js', import.meta.url));
const HARNESS = fileURLToPath(new URL('./cliHarness.ts', import.meta.url));
const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
/** The real binary once src/cli/main.ts registers these commands; until then the same commands in a stand-in program. */
const WIRED = /registerAuditCommands/.test(readFileSync(MAIN, 'utf8')) && /registerComplianceCommands/.test(readFileSync(MAIN, 'utf8'));
const ENTRY = WIRED ? [BIN] : ['--import', 'tsx', HARNESS];

interface Run { code: number; stdout: string; stderr: string }

/** Tests that start the CLI several times: each start compiles TypeScript, seconds on a busy machine. */
const CLI_TIMEOUT = 240_000;

const toUnsealed = (row: Record<string, any>) => ({
  seq: Number(row.seq), key: row.entry_key, at: (row.at as Date).toISOString(), type: row.type, operationId: row.operation_id, actor: row.actor,
  action: row.action, resource: row.resource, outcome: row.outcome, rule: row.rule, data: row.data, prevHash: row.prev_hash,
});

function tollgate(config: string, ...args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.DATABASE_URL;
  delete env.TOLLGATE_CONFIG;
  delete env.TOLLGATE_AUDIT_KEY;
  delete env.TOLLGATE_AUDIT_PUBLIC_KEY;
  return new Promise((resolve) => {
    execFile(process.execPath, [...ENTRY, '--config', config, ...args], { env }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function configFile(url: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tollgate-audit-cli-'));
  const file = join(dir, 'tollgate.yaml');
  await writeFile(file, `database:\n  url: ${JSON.stringify(url)}\n`);
  return file;
}

describeEachDatabase(`tollgate audit and compliance (${WIRED ? 'bin/tollgate.js' : 'stand-in for bin/tollgate.js'})`, (db) => {
  let config: string;
  let trail: AuditTrail;
  let denied: AuditEntry;
  let key: ServiceKey;
  let anchorDir: string;

  beforeAll(async () => {
    let url = db().url;
    if (db().kind === 'postgres') {
      // The test's own schema, through the URL as a user would configure it.
      const { rows } = await db().pool.query<{ schema: string }>('SELECT current_schema() AS schema');
      url += `${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${rows[0].schema}`)}`;
    }
    config = await configFile(url);
    // The embedded default: the key file and the anchor directory beside the config.
    key = loadAuditKey(dirname(config), { create: true })!;
    anchorDir = defaultAnchorDir(dirname(config));
    trail = new AuditTrail(db().pool, { key, anchors: [fileAnchorSink(anchorDir)] });
    const request = { subject: { identifier: 'alice' }, action: 'data:process', resource: 'dataset://personal_data/users', context: { api_key: 'sk-live-123' } };
    [denied] = await trail.append([
      policyDecisionEntry('op-gdpr', request, {
        effect: 'deny', rule: 'gdpr_legal_basis', reason: 'Data processing requires legal basis', metadata: {}, policySet: 'compliance', policyVersion: 'v1',
      }, '2025-03-10T10:00:00Z'),
      { key: 'op-ok:operation_started', type: 'operation_started', operationId: 'op-ok', actor: 'bob', at: '2025-03-11T10:00:00Z' },
      { key: 'op-ok:operation_completed', type: 'operation_completed', operationId: 'op-ok', actor: 'bob', outcome: 'completed', at: '2025-03-11T10:01:00Z' },
    ]);
    await trail.anchor();
  });

  it('query prints entries as a table or JSON, filtered', async () => {
    const json = await tollgate(config, 'audit', 'query', '--operation', 'op-ok', '--json');
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const entries = JSON.parse(json.stdout) as AuditEntry[];
    expect(entries.map((e) => e.type)).toEqual(['operation_started', 'operation_completed']);
    const text = await tollgate(config, 'audit', 'query', '--type', 'policy_decision', '--actor', 'alice', '--since', '2025-03-01');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^seq\s+at\s+type/);
    expect(text.stdout).toMatch(/1\s+2025-03-10T10:00:00.000Z\s+policy_decision\s+op-gdpr\s+alice\s+deny\s+gdpr_legal_basis/);
    expect(text.stdout).not.toContain('sk-live-123');
    const none = await tollgate(config, 'audit', 'query', '--operation', 'nope');
    expect(none.stdout.trim()).toBe('no audit entries match');
  }, CLI_TIMEOUT);

  it('query rejects bad flags with exit 2, naming the flag', async () => {
    const type = await tollgate(config, 'audit', 'query', '--type', 'policy_decison');
    expect(type.code).toBe(2);
    expect(type.stderr).toMatch(/^--type: unknown entry type "policy_decison", did you mean "policy_decision"\?/);
    const since = await tollgate(config, 'audit', 'query', '--since', 'last tuesday');
    expect(since.code).toBe(2);
    expect(since.stderr).toMatch(/^--since: expected an ISO time/);
    const limit = await tollgate(config, 'audit', 'query', '--limit', '0');
    expect(limit.code).toBe(2);
    expect(limit.stderr).toMatch(/^--limit: expected a positive integer, got "0"/);
  }, CLI_TIMEOUT);

  it('verify exits 0 for an intact chain and 1 for a broken one, saying where', async () => {
    const ok = await tollgate(config, 'audit', 'verify');
    expect(ok.code).toBe(0);
    const head = await trail.head();
    expect(ok.stdout.trim()).toBe(`audit chain ok: ${head.seq} entries, last ${head.seq} hash ${head.hash}; `
      + `1 checkpoint signed by audit key ${auditKeyId(key.publicKey)}, the last at 3; anchors in ${anchorDir}: 1 read, up to 3`);

    await db().pool.query('ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only');
    try {
      await db().pool.query("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 2");
      const broken = await tollgate(config, 'audit', 'verify');
      expect(broken.code).toBe(1);
      expect(broken.stderr.trim()).toBe('audit chain BROKEN at entry 2: entry 2 was altered: its hash does not match its contents [3 entries read]');
      const json = await tollgate(config, 'audit', 'verify', '--json');
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, entries: 3, firstBroken: { seq: 2 } });
    } finally {
      await db().pool.query("UPDATE audit_entries SET actor = 'bob' WHERE seq = 2");
      await db().pool.query('ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only');
    }
    expect((await tollgate(config, 'audit', 'verify')).code).toBe(0);
  }, CLI_TIMEOUT);

  it('export writes JSONL that verify --file and verifyJsonl accept, and a slice from --since', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tollgate-audit-export-'));
    const out = join(dir, 'audit.jsonl');
    const run = await tollgate(config, 'audit', 'export', '--out', out);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(`exported 3 entries (1..3) to ${out}`);
    const text = await readFile(out, 'utf8');
    expect(await verifyJsonl(text)).toMatchObject({ ok: true, entries: 3, last: await trail.head() });
    const offline = await tollgate(config, 'audit', 'verify', '--file', out);
    expect(offline.code).toBe(0);
    expect(offline.stdout).toContain(`${out} ok: 3 entries`);

    await writeFile(out, text.replace('"actor":"bob"', '"actor":"eve"'));
    const tampered = await tollgate(config, 'audit', 'verify', '--file', out);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toContain(`${out} BROKEN at entry 2 (line 2): entry 2 was altered`);

    const stdout = await tollgate(config, 'audit', 'export', '--since', '2025-03-11T00:00:00Z');
    expect(stdout.code).toBe(0);
    expect(stdout.stdout.trim().split('\n').map((line) => JSON.parse(line).seq)).toEqual([2, 3]);
    expect(await verifyJsonl(stdout.stdout)).toMatchObject({ ok: true, first: { seq: 2, prevHash: denied.hash } });
  }, CLI_TIMEOUT);

  it('verify --public-key and --anchors: a flipped, re-hashed entry is named; a wrong or bad key is refused', async () => {
    const row = (await db().pool.query('SELECT * FROM audit_entries WHERE seq = 2')).rows[0];
    const [third] = await trail.query({ operationId: 'op-ok', type: 'operation_completed' });
    const publicB64 = key.publicKeyBase64;
    const copy = await mkdtemp(join(tmpdir(), 'tollgate-anchor-copy-'));
    await writeFile(join(copy, 'copy.jsonl'), await readFile(join(anchorDir, (await readdir(anchorDir))[0]), 'utf8'));
    const rehash = async (actor: string) => {
      const second = { ...toUnsealed(row), actor };
      const hash2 = entryHash(second);
      const hash3 = entryHash({ ...third, prevHash: hash2 });
      await db().pool.query('UPDATE audit_entries SET actor = $1, hash = $2 WHERE seq = 2', [actor, hash2]);
      await db().pool.query('UPDATE audit_entries SET prev_hash = $1, hash = $2 WHERE seq = 3', [hash2, hash3]);
      await db().pool.query('UPDATE audit_chain_head SET last_hash = $1', [hash3]);
    };
    for (const table of ['audit_entries', 'audit_chain_head']) await db().pool.query(`ALTER TABLE ${table} DISABLE TRIGGER USER`);
    try {
      await rehash('mallory');
      const named = await tollgate(config, 'audit', 'verify', '--public-key', publicB64, '--anchors', copy);
      expect(named.code).toBe(1);
      expect(named.stderr.trim()).toBe(`audit chain BROKEN at entry 2: entry 2 was altered, inserted or moved: its signature does not verify with the audit key ${auditKeyId(key.publicKey)} [3 entries read]`);
      const json = JSON.parse((await tollgate(config, 'audit', 'verify', '--anchors', copy, '--json')).stdout);
      expect(json.problems.map((p: { reason: string }) => p.reason)).toContainEqual(expect.stringMatching(/^anchor .*copy\.jsonl:1: seq 3 hash/));
    } finally {
      await rehash('bob');
      for (const table of ['audit_entries', 'audit_chain_head']) await db().pool.query(`ALTER TABLE ${table} ENABLE TRIGGER USER`);
    }
    expect((await tollgate(config, 'audit', 'verify', '--public-key', publicB64)).code).toBe(0);
    const other = loadAuditKey(await mkdtemp(join(tmpdir(), 'tollgate-other-key-')), { create: true })!;
    const wrong = await tollgate(config, 'audit', 'verify', '--public-key', other.publicKeyBase64);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim()).toBe(`audit chain BROKEN at entry 1: entry 1 is signed by key ${auditKeyId(key.publicKey)}, not the audit key `
      + `${auditKeyId(other.publicKey)} (re-signed with another key, or verified with the wrong public key) [3 entries read]`);
    const bad = await tollgate(config, 'audit', 'verify', '--public-key', 'not-a-key');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^--public-key: not an Ed25519 public key/);
  }, CLI_TIMEOUT);

  it('compliance report: non_compliant for a deny by a compliance rule (exit 1), did-you-mean for a bad framework (exit 2)', async () => {
    const json = await tollgate(config, 'compliance', 'report', '--framework', 'gdpr', '--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.requirements.map((r: { requirementId: string; status: string }) => [r.requirementId, r.status])).toEqual([
      ['GDPR-Art6', 'non_compliant'],
      ['GDPR-Art17', 'requires_review'],
    ]);
    expect(report.requirements[0].violations[0]).toMatchObject({ operationId: 'op-gdpr', actor: 'alice', seq: 1 });
    expect(report.auditChain).toMatchObject({ ok: true, entries: 3 });

    const text = await tollgate(config, 'compliance', 'report', '--framework', 'GDPR');
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/NON_COMPLIANT\s+GDPR-Art6\s+Data processing requires legal basis/);
    expect(text.stdout).toContain('violation: entry 1 op-gdpr alice data:process dataset://personal_data/users');
    expect(text.stdout).toContain('summary: 2 requirements: 0 compliant, 1 non-compliant, 1 requiring review');

    // Nothing in the period: nothing violated, nothing evidenced, so exit 0 with everything to review.
    const later = await tollgate(config, 'compliance', 'report', '--framework', 'gdpr', '--since', '2025-03-11T00:00:00Z', '--json');
    expect(later.code).toBe(0);
    expect(JSON.parse(later.stdout).summary).toEqual({ totalRequirements: 2, compliant: 0, nonCompliant: 0, requiresReview: 2 });

    const typo = await tollgate(config, 'compliance', 'report', '--framework', 'gpdr');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/^--framework: unknown compliance framework "gpdr", did you mean "gdpr"\?/);
  }, CLI_TIMEOUT);

  it('compliance report --format md for an audit ticket, --registry to extend the requirements', async () => {
    const md = await tollgate(config, 'compliance', 'report', '--framework', 'gdpr', '--format', 'md');
    expect(md.code).toBe(1);
    expect(md.stdout).toMatch(/^# GDPR compliance report\n/);
    expect(md.stdout).toContain('| GDPR-Art6 | Data processing requires legal basis | Non-compliant | 1 | 0 | 1 |');
    expect(md.stdout).toContain(`| GDPR-Art6 | 1 | \`${denied.hash}\` | 2025-03-10T10:00:00.000Z | \`op-gdpr\` | alice |`);
    expect(md.stdout).toMatch(/## Audit chain verification\n\n```\naudit chain ok: 3 entries/);

    const registry = join(dirname(config), 'compliance.yaml');
    await writeFile(registry, 'requirements:\n  - { framework: gdpr, requirementId: GDPR-Art30, description: Records of processing, rules: [gdpr_legal_basis] }\n');
    const extended = JSON.parse((await tollgate(config, 'compliance', 'report', '--framework', 'gdpr', '--registry', registry, '--json')).stdout);
    expect(extended.requirements.map((r: { requirementId: string; status: string }) => [r.requirementId, r.status]))
      .toEqual([['GDPR-Art6', 'non_compliant'], ['GDPR-Art17', 'requires_review'], ['GDPR-Art30', 'non_compliant']]);
    await writeFile(registry, 'requirements:\n  - { framework: gdpr, requirementId: GDPR-Art30 }\n');
    const broken = await tollgate(config, 'compliance', 'report', '--framework', 'gdpr', '--registry', registry);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(new RegExp(`^${registry.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: requirements\\[0\\]\\.description`));
    const format = await tollgate(config, 'compliance', 'report', '--framework', 'gdpr', '--format', 'xml');
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/^--format: expected one of text, md, json, got "xml"/);
  }, CLI_TIMEOUT);

  it('checkpoint signs the tail now and anchors it', async () => {
    const before = (await trail.checkpoints()).length;
    const first = await tollgate(config, 'audit', 'checkpoint');
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toBe('nothing new since the last checkpoint');
    // A writer whose policy would not checkpoint this entry for a long while.
    await new AuditTrail(db().pool, { key, checkpoints: { everySeconds: 86_400 } }).append({ key: 'op-late:operation_started', type: 'operation_started', operationId: 'op-late', actor: 'bob', at: '2025-03-12T10:00:00Z' });
    const run = await tollgate(config, 'audit', 'checkpoint');
    expect(run.code).toBe(0);
    const checkpoints = await trail.checkpoints();
    expect(checkpoints).toHaveLength(before + 1);
    const last = checkpoints[checkpoints.length - 1];
    expect(last.seq).toBe((await trail.head()).seq);
    expect(run.stdout.trim()).toBe(`checkpoint ${last.seq} hash ${last.hash} signed by ${last.keyId}, anchored in ${anchorDir}`);
    const ok = await tollgate(config, 'audit', 'verify');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`the last at ${last.seq}; anchors in ${anchorDir}: `);

    // An entry written without the key (a writer that was not given it): the trail will not vouch for it.
    await new AuditTrail(db().pool).append({ key: 'op-keyless:operation_started', type: 'operation_started', operationId: 'op-keyless', actor: 'bob' });
    const refused = await tollgate(config, 'audit', 'checkpoint');
    expect(refused.code).toBe(1);
    // The last line is the command's answer; the logger may have said why above it (stderr too).
    expect(refused.stderr.trim().split('\n').at(-1)).toBe(`no checkpoint written: entries after ${last.seq} are not all signed by the audit key; run \`tollgate audit verify\``);
  }, CLI_TIMEOUT);
});

describe('tollgate audit without a database', () => {
  it('exits 3 when the configured database is unreachable', async () => {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: free } = server.address() as { port: number };
        server.close(() => resolve(free));
      });
    });
    const config = await configFile(`postgres://postgres@127.0.0.1:${port}/postgres`);
    const run = await tollgate(config, 'audit', 'verify');
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/database unavailable at postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres/);
  });
});
