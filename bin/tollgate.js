#!/usr/bin/env node
// The installed package runs its compiled CLI (dist/). A clone, which has the TypeScript sources,
// runs them through tsx, so that what runs is always what is checked out without a build step;
// TOLLGATE_CLI=dist runs a clone's build instead (npm run bench:cli measures both).
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const compiled = new URL('../dist/src/cli/main.js', import.meta.url);
const useSource = process.env.TOLLGATE_CLI !== 'dist' && existsSync(source);

if (useSource) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  process.stderr.write('tollgate: dist/src/cli/main.js is missing; run `npm run build` first\n');
  process.exitCode = 2;
}
