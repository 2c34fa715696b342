/** The policy cases runner as a library (issue 13, "A thin CLI"): `tollgate policy test` only prints what it returns. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicyCases, parsePolicySet, PolicyEngine, runPolicyCases } from '../../../src/index.js';
import { TollgateInputError } from '../../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-cases-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

const engine = new PolicyEngine(parsePolicySet({
  name: 'cases',
  rules: [{ name: 'readers', effect: 'allow', actions: ['data:read'] }],
}));
const request = (action: string) => ({ subject: { identifier: 'u' }, action, resource: 'dataset://x' });

describe('runPolicyCases', () => {
  it('returns one result per case with its line, what was expected and what the engine decided', () => {
    const file = write('cases.yaml', [
      'cases:',
      `  - { name: reads, request: ${JSON.stringify(request('data:read'))}, effect: allow, rule: readers }`,
      `  - request: ${JSON.stringify(request('data:write'))}`,
      '    effect: allow',
      `  - { name: default, request: ${JSON.stringify(request('data:write'))}, effect: deny, rule: null }`,
    ].join('\n'));
    const report = runPolicyCases(engine, loadPolicyCases(file));
    expect(report).toMatchObject({ file, passed: 2, failed: 1 });
    expect(report.results.map(({ label, line, passed, expected, got }) => ({ label, line, passed, expected, got }))).toEqual([
      { label: 'reads', line: 2, passed: true, expected: 'allow by readers', got: 'allow by readers' },
      { label: 'case 2', line: 3, passed: false, expected: 'allow', got: 'deny by default' },
      { label: 'default', line: 5, passed: true, expected: 'deny by default', got: 'deny by default' },
    ]);
  });

  it('accepts a bare list of cases', () => {
    const file = write('list.json', JSON.stringify([{ request: request('data:read'), effect: 'allow' }]));
    expect(runPolicyCases(engine, loadPolicyCases(file))).toMatchObject({ passed: 1, failed: 0 });
  });

  it('refuses a bad file with TollgateInputError naming the file and the path', () => {
    const bad = write('bad.yaml', `cases:\n  - { request: ${JSON.stringify(request('data:read'))}, effect: permit }\n`);
    expect(() => loadPolicyCases(bad)).toThrow(TollgateInputError);
    expect(() => loadPolicyCases(bad)).toThrow(`${bad}: cases.0.effect: `);
    expect(() => loadPolicyCases(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: cannot read the cases file/);
  });
});
