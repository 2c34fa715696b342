#!/usr/bin/env node
// `npm run build`: dist/ as the published package runs it. tsc compiles src/, workflows/,
// activities/ and temporal-config/; then the files the code reads at run time are copied beside
// the modules that read them (presets, migrations, dynamic config, the install script), and the
// workflow bundle is prebuilt so that a worker from the package starts without bundling.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const step = (text) => process.stderr.write(`build: ${text}\n`);

rmSync(dist, { recursive: true, force: true });
step('tsc -p tsconfig.build.json');
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

/** Run-time assets: everything in these folders that tsc does not emit. */
const ASSETS = [
  ['src/patterns/presets', /\.ya?ml$/],
  ['src/store/migrations', /\.sql$/],
  ['temporal-config', /^(dynamicconfig\.yaml|install\.mjs|install\.d\.mts)$/],
  ['temporal-config/server', /^dynamicconfig\.yaml$/],
];
for (const [folder, pattern] of ASSETS) {
  const files = readdirSync(join(root, folder)).filter((file) => pattern.test(file));
  if (files.length === 0) throw new Error(`build: no assets in ${folder} match ${pattern}; has the layout changed?`);
  mkdirSync(join(dist, folder), { recursive: true });
  for (const file of files) cpSync(join(root, folder, file), join(dist, folder, file));
  step(`copied ${files.length} file(s) from ${folder}`);
}

step('workflow bundle');
const worker = await import(join(dist, 'src/service/worker.js'));
const { bundleWorkflowCode } = await import('@temporalio/worker');
const { code } = await bundleWorkflowCode(worker.workflowBundleOptions());
writeFileSync(worker.PREBUILT_WORKFLOW_BUNDLE, code);
step(`wrote ${relative(root, worker.PREBUILT_WORKFLOW_BUNDLE)} (${Math.round(code.length / 1024)} KiB)`);
