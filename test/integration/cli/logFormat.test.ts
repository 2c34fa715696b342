import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../support/databases.js';

const BIN = fileURLToPath(new URL('../../../bin/tollgate.js', import.meta.url));
const opened: TestDatabase[] = [];
afterAll(() => Promise.all(opened.map((database) => database.close())));

/** `tollgate audit query` against a fresh, unmigrated database: migrating it logs one line per migration. */
async function auditQuery(...globalArgs: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const database = await openTestDatabase('pglite', { migrate: false });
  opened.push(database);
  const env = { ...process.env, DATABASE_URL: database.url, TOLLGATE_LOG_LEVEL: 'info', NO_COLOR: '1', TOLLGATE_CONFIG: '' };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...globalArgs, 'audit', 'query'], { env }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('tollgate --log-format', () => {
  it('json: one JSON document per log line on stderr, results alone on stdout', async () => {
    const run = await auditQuery('--log-format', 'json');
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe('no audit entries match');
    const lines = run.stderr.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((line) => line.msg === 'applied migration' && line.level === 30 && typeof line.migration === 'string')).toBe(true);
  });

  it('pretty: readable lines', async () => {
    const run = await auditQuery('--log-format', 'pretty');
    expect(run.code).toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: applied migration \{"migration":"[^"]+\.sql"\}$/);
  });

  it('refuses an unknown format with exit 2 and one line naming the choices', async () => {
    const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [BIN, '--log-format', 'xml', 'policy', 'check', 'x.yaml'], (error, _stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr });
      });
    });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe("error: option '--log-format <format>' argument 'xml' is invalid. Allowed choices are pretty, json.");
  });
});
