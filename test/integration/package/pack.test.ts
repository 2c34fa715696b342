/**
 * The package as a user gets it: `npm run build`, `npm pack`, `npm install <tarball>` into a fresh
 * project, and from there: the API from plain ESM and from TypeScript, the compiled CLI (never
 * tsx), and one governed operation through `tollgate start --operations` on a real dev server.
 * Slow (a build and an npm install): it runs in CI like everything else.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../../temporal-config/freePort.js';
import { ensureTemporalCli } from '../../../temporal-config/install.mjs';
import { startTestTemporal, type TestTemporal } from '../../support/temporal.js';
import { eventually } from '../../support/governance.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function ok(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const result = await run(command, args, cwd, env);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

let project: string;
let temporal: TestTemporal;
let service: ChildProcess | undefined;

beforeAll(async () => {
  await ok(process.execPath, [join(ROOT, 'bin/build.mjs')], ROOT);
  const packs = mkdtempSync(join(tmpdir(), 'tollgate-pack-'));
  await ok('npm', ['pack', '--pack-destination', packs], ROOT);
  const tarball = join(packs, readdirSync(packs).find((file) => file.endsWith('.tgz'))!);
  project = mkdtempSync(join(tmpdir(), 'tollgate-user-'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'agent-project', private: true, type: 'module' }));
  await ok('npm', ['install', tarball, '@types/node@20', '--no-audit', '--no-fund', '--prefer-offline'], project);
  temporal = await startTestTemporal();
}, 900_000);

afterAll(async () => {
  service?.kill('SIGTERM');
  await temporal?.close();
});

describe('the packed tarball in a fresh project', () => {
  it('installs compiled code and its assets, and nothing of the sources or tsx', () => {
    const installed = join(project, 'node_modules/tollgate');
    expect(existsSync(join(installed, 'dist/src/index.js'))).toBe(true);
    expect(existsSync(join(installed, 'dist/src/patterns/presets/enterprise.yaml'))).toBe(true);
    expect(readdirSync(join(installed, 'dist/src/store/migrations')).filter((file) => file.endsWith('.sql')).length).toBeGreaterThan(0);
    expect(existsSync(join(installed, 'dist/workflows/bundle.js'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(existsSync(join(project, 'node_modules/tsx'))).toBe(false);
  });

  it('imports the API from plain ESM', async () => {
    writeFileSync(join(project, 'api.mjs'), `
      import { GovernanceClient, PolicyEngine, loadPolicySet, detectSqlInjection, patterns } from 'tollgate';
      const engine = new PolicyEngine(loadPolicySet(patterns.presetPath('enterprise')));
      const decision = engine.evaluate({ subject: { identifier: 'u', roles: ['developer'] }, action: 'agent:tool_execute', resource: 'tool://shell_execute' });
      console.log(JSON.stringify({ rule: decision.rule, sql: detectSqlInjection("1' OR '1'='1"), client: typeof GovernanceClient.connect }));
    `);
    expect(JSON.parse(await ok(process.execPath, ['api.mjs'], project))).toEqual({ rule: 'block_dangerous_tools', sql: true, client: 'function' });
  });

  it('type-checks a TypeScript user of the API against the shipped declarations', async () => {
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: ['node'] }, files: ['api.ts'] }));
    writeFileSync(join(project, 'api.ts'), `
      import { PolicyEngine, parsePolicySet, detectSqlInjection, type PolicyDecision } from 'tollgate';
      const engine = new PolicyEngine(parsePolicySet({ name: 'p', rules: [{ name: 'r', effect: 'allow' }] }));
      const decision: PolicyDecision = engine.evaluate({ subject: { identifier: 'u' }, action: 'a', resource: 'r' });
      const injected: boolean = detectSqlInjection('x');
      export const answer: string = decision.effect + String(injected);
    `);
    await ok(process.execPath, [TSC, '-p', 'tsconfig.json'], project);
    // The check can fail: a wrong type is an error.
    writeFileSync(join(project, 'api.ts'), `import { detectSqlInjection } from 'tollgate';\nexport const wrong: number = detectSqlInjection('x');\n`);
    expect((await run(process.execPath, [TSC, '-p', 'tsconfig.json'], project)).code).not.toBe(0);
  }, 300_000); // tsc reads the declarations of Temporal, zod and pg twice

  it('runs the compiled CLI with npx: --version and policy check on a preset', async () => {
    expect((await ok('npx', ['tollgate', '--version'], project)).trim()).toMatch(/^\d+\.\d+\.\d+/);
    const preset = join(project, 'node_modules/tollgate/dist/src/patterns/presets/enterprise.yaml');
    expect(await ok('npx', ['tollgate', 'policy', 'check', preset], project)).toContain('no findings');
  });

  it('runs one governed operation through `tollgate start --operations` from the installed package', async () => {
    const [port, dbPort] = [await findFreePort(), await findFreePort()];
    writeFileSync(join(project, 'policy.yaml'), 'name: user-policy\nrules:\n  - { name: jobs, effect: allow, actions: ["job:run"] }\n');
    writeFileSync(join(project, 'tollgate.yaml'), [
      'policy: ./policy.yaml',
      `temporal: { address: "${temporal.address}", namespace: ${temporal.namespace}, taskQueue: packaged }`,
      `database: { embeddedPort: ${dbPort} }`,
      `server: { port: ${port} }`,
      '',
    ].join('\n'));
    writeFileSync(join(project, 'ops.mjs'), `import { registerOperation } from 'tollgate';\nregisterOperation('greet', async (args) => 'hello ' + args.name);\n`);
    service = spawn('npx', ['tollgate', 'start', '--operations', './ops.mjs'], { cwd: project, env: { ...process.env, TEMPORAL_CLI_PATH: await ensureTemporalCli() }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    service.stdout!.on('data', (chunk) => { output += chunk; });
    service.stderr!.on('data', (chunk) => { output += chunk; });
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok, `the packaged service's /healthz (output so far: ${output})`, 120_000);
    writeFileSync(join(project, 'submit.mjs'), `
      import { GovernanceClient, loadConfig } from 'tollgate';
      const client = await GovernanceClient.connect(loadConfig('tollgate.yaml'));
      const handle = await client.submit({ id: 'packaged-1', subject: { identifier: 'agent' }, action: 'job:run', resource: 'job://x', operation: { name: 'greet', args: { name: 'tollgate' } } });
      const result = await handle.result();
      console.log(JSON.stringify({ status: result.status, result: result.result, rule: result.decision.rule }));
      await client.close();
    `);
    expect(JSON.parse((await ok(process.execPath, ['submit.mjs'], project)).trim().split('\n').at(-1)!)).toEqual({ status: 'completed', result: 'hello tollgate', rule: 'jobs' });
  }, 180_000);
});
