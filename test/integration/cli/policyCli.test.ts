import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listPresets, presetCasesPath, presetPath } from '../../../src/patterns/presets.js';

const BIN = fileURLToPath(new URL('../../../bin/tollgate.js', import.meta.url));

function tollgate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('tollgate policy (the real CLI)', () => {
  for (const preset of listPresets()) {
    it(`checks and tests the ${preset} preset cleanly`, async () => {
      const check = await tollgate('policy', 'check', presetPath(preset));
      expect(check.stdout).toContain('no findings');
      expect(check.code).toBe(0);
      const test = await tollgate('policy', 'test', presetPath(preset), presetCasesPath(preset));
      expect(test.stdout).toMatch(/^\d+ passed, 0 failed$/m);
      expect(test.code).toBe(0);
    });
  }

  it('exits 2 with file:line path: message for an invalid set, 1 for lint findings', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tollgate-cli-'));
    const invalid = join(dir, 'invalid.yaml');
    await writeFile(invalid, 'name: broken\nrules:\n  - name: r\n    effect: requre_approval\n');
    const bad = await tollgate('policy', 'check', invalid);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(`${invalid}:4 rules[0].effect: unknown effect "requre_approval", did you mean "require_approval"? (expected one of allow, deny, require_approval)`);
    const shadowed = join(dir, 'shadowed.yaml');
    await writeFile(shadowed, 'name: s\nrules:\n  - { name: all, effect: allow }\n  - { name: never, effect: deny, actions: [x] }\n');
    const lint = await tollgate('policy', 'check', shadowed);
    expect(lint.code).toBe(1);
    expect(lint.stdout).toContain(`${shadowed}:4 rules[1]: shadowed:`);
  });

  it('--enrich evaluates the context the policy really sees: facts beat claims, detectors judge --args', async () => {
    const claim = JSON.stringify({
      subject: { identifier: 'u', roles: ['developer'] }, action: 'data:delete', resource: 'dataset://production/x', context: { environment: 'development' },
    });
    // Without --enrich the claim is believed, as in a unit test of the rules alone.
    const plain = await tollgate('policy', 'eval', presetPath('enterprise'), '--request', claim, '--json');
    expect(JSON.parse(plain.stdout)).toMatchObject({ effect: 'allow', rule: 'developer_dev_env' });
    const enriched = await tollgate('policy', 'eval', presetPath('enterprise'), '--request', claim, '--enrich', '--json');
    expect(enriched.code).toBe(0);
    const result = JSON.parse(enriched.stdout);
    expect(result.decision).toMatchObject({ effect: 'require_approval', rule: 'production_changes_approval' });
    expect(result.context.environment).toBe('production');
    expect(result.droppedClaims).toEqual(['environment']);
    const text = await tollgate('policy', 'eval', presetPath('enterprise'), '--request', claim, '--enrich');
    expect(text.stdout).toContain('REQUIRE_APPROVAL by rule production_changes_approval');
    expect(text.stdout).toContain('dropped claims: environment');

    const sql = JSON.stringify({ subject: { identifier: 'u', roles: ['developer'] }, action: 'agent:tool_execute', resource: 'tool://sql_query' });
    const injected = await tollgate('policy', 'eval', presetPath('enterprise'), '--request', sql, '--enrich', '--json',
      '--args', JSON.stringify({ query: "SELECT * FROM users WHERE id = '1' OR '1'='1'" }));
    expect(JSON.parse(injected.stdout).decision).toMatchObject({ effect: 'deny', rule: 'block_sql_injection' });
    const badArgs = await tollgate('policy', 'eval', presetPath('enterprise'), '--request', sql, '--args', '{nope');
    expect(badArgs.code).toBe(2);
    expect(badArgs.stderr).toContain('--args');
  });

  it('evaluates with --explain and --json, and reports failing cases with their line', async () => {
    const request = JSON.stringify({ subject: { identifier: 'u', roles: ['developer'] }, action: 'agent:tool_execute', resource: 'tool://shell_execute' });
    const text = await tollgate('policy', 'eval', presetPath('enterprise'), '--request', request, '--explain');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('DENY by rule block_dangerous_tools');
    expect(text.stdout).toMatch(/✔ block_dangerous_tools/);
    const json = JSON.parse((await tollgate('policy', 'eval', presetPath('enterprise'), '--request', request, '--json')).stdout);
    expect(json).toMatchObject({ effect: 'deny', rule: 'block_dangerous_tools', policySet: 'enterprise_governance' });
    const enforce = await tollgate('policy', 'eval', presetPath('enterprise'), '--request', request, '--enforce');
    expect(enforce.code).toBe(1);

    const dir = await mkdtemp(join(tmpdir(), 'tollgate-cases-'));
    const cases = join(dir, 'cases.yaml');
    await writeFile(cases, `cases:\n  - name: wrong on purpose\n    request: ${request}\n    effect: allow\n`);
    const run = await tollgate('policy', 'test', presetPath('enterprise'), cases);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${cases}:2 wrong on purpose: expected allow, got deny by block_dangerous_tools`);
    expect(run.stdout).toMatch(/^0 passed, 1 failed$/m);
    const malformed = await tollgate('policy', 'eval', presetPath('enterprise'), '--request', '{"subject":{}}');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/^--request subject.identifier: /);
  });
});
