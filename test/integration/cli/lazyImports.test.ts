/**
 * The CLI loads what a command needs and nothing else: policy commands and --version never load
 * Temporal, Slack or a database driver (issue 12's start-up goal; bench:cli has the timings).
 * The trace hook records every package the process resolves.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { presetPath } from '../../../src/patterns/presets.js';

const BIN = fileURLToPath(new URL('../../../bin/tollgate.js', import.meta.url));
const TRACE = fileURLToPath(new URL('../../support/moduleTrace.mjs', import.meta.url));
const HEAVY = /^(@temporalio\/|@slack\/|pg$|@electric-sql\/|@modelcontextprotocol\/|jose$)/;

function packagesLoadedBy(...args: string[]): Promise<string[]> {
  const file = join(mkdtempSync(join(tmpdir(), 'tollgate-trace-')), 'packages');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', TRACE, BIN, ...args], { env: { ...process.env, TOLLGATE_MODULE_TRACE: file } }, (error, _stdout, stderr) => {
      if (error && error.code !== 1) return reject(new Error(`tollgate ${args.join(' ')} failed: ${stderr}`));
      resolve(existsSync(file) ? [...new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean))] : []);
    });
  });
}

describe('CLI start-up loads only what the command needs', () => {
  const request = JSON.stringify({ subject: { identifier: 'u', roles: ['developer'] }, action: 'data:read', resource: 'dataset://x' });

  it('policy check, policy eval and --version load no Temporal, Slack, database or MCP package', async () => {
    for (const args of [['--version'], ['policy', 'check', presetPath('enterprise')], ['policy', 'eval', presetPath('enterprise'), '--request', request]]) {
      const loaded = await packagesLoadedBy(...args);
      expect(loaded, args.join(' ')).toContain('commander');
      expect(loaded.filter((name) => HEAVY.test(name)), args.join(' ')).toEqual([]);
    }
  });

  it('a worker command does load Temporal (the trace sees what a command imports)', async () => {
    const loaded = await packagesLoadedBy('worker', '--help');
    expect(loaded).toContain('@temporalio/worker');
  });
});
