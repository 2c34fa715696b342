/**
 * `tollgate budget` through the real binary, with Temporal unreachable: budgets need only the
 * database, and every change a person makes is audited under --actor, else $USER.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { beforeAll, expect, it } from 'vitest';
import { AuditTrail } from '../../../src/audit/trail.js';
import { BudgetLedger } from '../../../src/budget/ledger.js';
import { parseConfig } from '../../../src/config.js';
import { describeEachDatabase } from '../../support/databases.js';

const BIN = fileURLToPath(new URL('../../../bin/tollgate.js', import.meta.url));
/** Each run starts tsx and opens the store: seconds apiece on a busy two-core machine. */
const CLI_TIMEOUT = 240_000;

describeEachDatabase('tollgate budget', (db) => {
  const id = randomUUID().slice(0, 8);
  const team = `team-${id}`;
  const user = `user-${id}`;
  const budgets = { teams: { [team]: 100 } };
  let configFile: string;

  beforeAll(async () => {
    // The test database's schema travels in the URL, as a deployment's search_path would.
    const { rows } = await db().pool.query<{ schema: string }>('SELECT current_schema() AS schema');
    const url = db().kind === 'postgres' ? `${db().url}?options=${encodeURIComponent(`-c search_path=${rows[0].schema}`)}` : db().url;
    const dir = await mkdtemp(join(tmpdir(), 'tollgate-cli-budget-'));
    configFile = join(dir, 'tollgate.yaml');
    await writeFile(configFile, stringify({ database: { url }, temporal: { address: '127.0.0.1:1' }, budgets }));
  });

  function tollgate(env: Record<string, string | undefined>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [BIN, '--config', configFile, 'budget', ...args], { env: { ...process.env, TOLLGATE_LOG_LEVEL: 'error', ...env } },
        (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    });
  }

  it('sets a limit and corrects a cost as the named actor, or as $USER, without Temporal', async () => {
    const set = await tollgate({ USER: 'dave' }, 'set-limit', 'team', team, '5', '--actor', 'carol', '--reason', 'cost freeze');
    expect(set).toMatchObject({ code: 0, stdout: `team ${team}: limit 5.00\n` });
    const status = await tollgate({}, 'status', '--team', team, '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ level: 'team', entity: team, limit: 5 })]));

    const ledger = new BudgetLedger(db().pool, parseConfig({ budgets }, { env: {} }).budgets);
    await ledger.reserve(`wf-${id}`, { user, team, org: 'org' }, 2);
    await ledger.commit(`wf-${id}`, 2);
    const adjust = await tollgate({ USER: 'dave' }, 'adjust', `wf-${id}`, '3.5');
    expect(adjust).toMatchObject({ code: 0, stdout: `wf-${id}: cost set to 3.50\n` });

    const trail = new AuditTrail(db().pool);
    const [limitSet] = (await trail.query({ type: 'budget_limit_set' })).filter((e) => e.data.entity === team);
    expect(limitSet).toMatchObject({ actor: 'carol', outcome: 'override', data: { level: 'team', limit: 5, previous: 100, reason: 'cost freeze' } });
    const [adjusted] = await trail.query({ operationId: `wf-${id}`, type: 'budget_adjusted' });
    expect(adjusted).toMatchObject({ actor: 'dave', data: { amount: 1.5, previous: 2, actual: 3.5 } });
  }, CLI_TIMEOUT);

  it('exits 2 naming --actor when there is no one to name', async () => {
    const result = await tollgate({ USER: '' }, 'set-limit', 'team', team, '7', '--actor', ' ');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^actor: who made the change is required/);
  }, CLI_TIMEOUT);
});
