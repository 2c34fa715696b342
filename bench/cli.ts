/**
 * `npm run bench:cli`: how long the CLI takes to start, next to `node -e 0` on the same machine,
 * in one run, round-robin (each round runs every command once, so load drifts hit all alike):
 *   - the compiled CLI as the installed package runs it (dist/, `TOLLGATE_CLI=dist`),
 *   - the same commands from the TypeScript sources through tsx, as a clone runs them (the
 *     "before": every call used to take this path).
 * Goal (issue 12): `tollgate --version` and `tollgate policy eval` within 4× of `node -e 0`.
 * Needs a build (`npm run bench:cli` runs `npm run build` first).
 *
 * Options: --rounds 20   --out bench/results/cli.json
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '20' },
    out: { type: 'string', default: 'bench/results/cli.json' },
  },
});
const ROUNDS = Number(args.rounds);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = resolve(root, 'bin/tollgate.js');
if (!existsSync(resolve(root, 'dist/src/cli/main.js'))) {
  process.stderr.write('bench:cli: dist/ is missing; run `npm run build` (npm run bench:cli does)\n');
  process.exit(2);
}

const preset = resolve(root, 'src/patterns/presets/enterprise.yaml');
const request = JSON.stringify({ subject: { identifier: 'u', roles: ['developer'] }, action: 'data:read', resource: 'dataset://production/x', context: { environment: 'production' } });
const evalArgs = ['policy', 'eval', preset, '--request', request];

interface Case { name: string; args: string[]; env?: Record<string, string>; goal?: boolean }
const CASES: Case[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'tollgate --version (dist)', args: [bin, '--version'], env: { TOLLGATE_CLI: 'dist' }, goal: true },
  { name: 'tollgate policy eval (dist)', args: [bin, ...evalArgs], env: { TOLLGATE_CLI: 'dist' }, goal: true },
  { name: 'tollgate --help (dist)', args: [bin, '--help'], env: { TOLLGATE_CLI: 'dist' } },
  { name: 'tollgate --version (tsx, before)', args: [bin, '--version'], env: { TOLLGATE_CLI: 'source' } },
  { name: 'tollgate policy eval (tsx, before)', args: [bin, ...evalArgs], env: { TOLLGATE_CLI: 'source' } },
];

function timeOnce(entry: Case): number {
  const t0 = performance.now();
  execFileSync(process.execPath, entry.args, { env: { ...process.env, ...entry.env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'inherit'] });
  return performance.now() - t0;
}

const samples = new Map(CASES.map((entry) => [entry.name, [] as number[]]));
for (const entry of CASES) timeOnce(entry); // warm the file cache
for (let round = 0; round < ROUNDS; round++) for (const entry of CASES) samples.get(entry.name)!.push(timeOnce(entry));

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const nodeP50 = quantile([...samples.get('node -e 0')!].sort((a, b) => a - b), 0.5);
const rows = CASES.map((entry) => {
  const sorted = [...samples.get(entry.name)!].sort((a, b) => a - b);
  const p50 = quantile(sorted, 0.5);
  return { command: entry.name, p50ms: p50, p99ms: quantile(sorted, 0.99), timesNode: p50 / nodeP50, goal: entry.goal ? p50 / nodeP50 <= 4 : undefined };
});

const widths = [38, 9, 9, 9, 8];
const line = (cols: string[]) => cols.map((col, i) => (i === 0 ? col.padEnd(widths[i]) : col.padStart(widths[i]))).join(' ');
console.log(line(['command', 'p50 ms', 'p99 ms', '× node', 'goal']));
for (const row of rows) console.log(line([row.command, row.p50ms.toFixed(1), row.p99ms.toFixed(1), row.timesNode.toFixed(2), row.goal === undefined ? '' : row.goal ? 'MET' : 'MISSED']));
console.log(`\n${ROUNDS} rounds, round-robin; load average ${loadavg().map((n) => n.toFixed(1)).join(' ')}; goal: within 4× of node -e 0`);

const out = resolve(root, args.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, rounds: ROUNDS, loadavg: loadavg(), rows }, null, 2));
console.log(`wrote ${args.out}`);
