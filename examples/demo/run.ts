/**
 * `npm run demo`: the seed's governance scenarios, against a running `npm start` (the repository's
 * tollgate.yaml: the enterprise preset in force, with tenant isolation configured as a rollout at
 * 0%). Every outcome comes from real workflows on the dev server; nothing here is simulated.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GovernanceClient, OperationDeniedError, PolicyEngine, decideOperation, loadConfig, loadPolicySet, openStore, patterns,
  type OperationInput,
} from '../../src/index.js';
import { openAuditTrail, approverTokenEntry, rolloutChangedEntry } from '../../src/audit/index.js';
import { createApproverToken } from '../../src/approval/tokens.js';
import { readRolloutSetting, writeRolloutSetting } from '../../src/patterns/rolloutState.js';
import { whatIf } from '../../src/patterns/whatIf.js';

interface Row { scenario: string; request: string; outcome: string; rule: string; set: string }

const config = loadConfig();
const runId = Date.now().toString(36);
let sequence = 0;

/** A spinner on stderr while something waits, when stderr is a terminal. */
async function waiting<T>(what: string, work: Promise<T>): Promise<T> {
  if (!process.stderr.isTTY) return work;
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let frame = 0;
  const timer = setInterval(() => process.stderr.write(`\r${frames[frame++ % frames.length]} ${what}`), 100);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    process.stderr.write(`\r${' '.repeat(what.length + 2)}\r`);
  }
}

function table(title: string, rows: readonly Row[]): void {
  const header: Row = { scenario: 'scenario', request: 'request', outcome: 'outcome', rule: 'rule', set: 'set' };
  const keys = Object.keys(header) as Array<keyof Row>;
  const widths = keys.map((key) => Math.max(...[header, ...rows].map((row) => row[key].length)));
  const line = (row: Row) => keys.map((key, i) => row[key].padEnd(widths[i])).join('  ').trimEnd();
  console.log(`\n${title}\n${line(header)}\n${widths.map((w) => '─'.repeat(w)).join('  ')}`);
  for (const row of rows) console.log(line(row));
}

async function main(): Promise<void> {
  const client = await GovernanceClient.connect(config);
  const store = await openStore(config, { serveEmbedded: false, migrate: false });
  const { trail } = openAuditTrail(store.pool, config);
  const started = new Date();
  const rolloutAtStart = (await readRolloutSetting(store.pool))?.percentage ?? config.rollout?.percentage ?? 0;

  const run = async (scenario: string, input: Omit<OperationInput, 'id'>, onWaiting?: (id: string) => Promise<void>): Promise<Row> => {
    const id = `demo-${runId}-${++sequence}`;
    const handle = await client.submit({ ...input, id });
    const request = `${input.subject.identifier} ${input.action} ${input.resource}`;
    const row = (outcome: string, rule: string | null | undefined, set: string | undefined): Row => ({ scenario, request, outcome, rule: rule ?? '(default)', set: set ?? '' });
    try {
      const decided = await waiting(`${scenario}: evaluating`, (async () => {
        for (;;) {
          const view = await client.status(id);
          if (view.status !== 'evaluating') return view;
          await sleep(100);
        }
      })());
      if (decided.status === 'awaiting_approval' && onWaiting) await waiting(`${scenario}: waiting for approval`, onWaiting(id));
      const result = await waiting(`${scenario}: waiting for the outcome`, handle.result());
      const approvedBy = result.approval?.votes.filter((v) => v.decision === 'approve').map((v) => v.approver.identifier) ?? [];
      return row(approvedBy.length ? `approved by ${approvedBy.join(', ')}` : result.decision.effect, result.decision.rule, (await client.status(id)).policyRole);
    } catch (error) {
      if (!(error instanceof OperationDeniedError)) throw error;
      return row(error.failureType === 'BudgetExceeded' ? 'denied: over budget' : 'denied', error.decision?.rule, (await client.status(id)).policyRole);
    }
  };

  const setRollout = async (percentage: number) => {
    const previous = (await readRolloutSetting(store.pool))?.percentage ?? config.rollout?.percentage ?? 0;
    const setting = await writeRolloutSetting(store.pool, percentage, 'demo');
    await trail.append([rolloutChangedEntry({ percentage, previous, at: setting.updatedAt }, 'demo')]);
    // Workers read the percentage every two seconds.
    await waiting(`rollout: ${previous}% → ${percentage}%`, sleep(2_500));
  };

  try {
    // An approver token for alice (a manager), as `tollgate approvers token create alice` makes one.
    const token = await createApproverToken(store.pool, { identifier: 'alice', expiresInMs: 3_600_000, createdBy: 'demo' });
    await trail.append([approverTokenEntry('approver_token_created', { tokenId: token.id, identifier: 'alice', expiresAt: token.expiresAt }, 'demo')]);
    const approveAsAlice = async (id: string) => {
      await decideOperation(config, id, 'approve', { token: token.token, note: 'demo: necessity documented in CHG-42' });
    };
    if (config.rollout) await setRollout(0);

    table('Enterprise governance, layer by layer (preset:enterprise)', [
      await run('access control', { subject: { identifier: 'ann', roles: ['analyst'] }, action: 'data:read', resource: 'dataset://public/sales' }),
      await run('security: dangerous tool', { subject: { identifier: 'agent-7' }, action: 'agent:tool_execute', resource: 'tool://shell_execute' }),
      await run('security: SQL injection', { subject: { identifier: 'agent-7', roles: ['admin'] }, action: 'agent:tool_execute', resource: 'tool://sql_query', operation: { name: 'sql', args: { query: "SELECT * FROM users WHERE name = '' OR '1'='1' --" }, gateOnly: true } }),
      await run('security: path traversal', { subject: { identifier: 'agent-7', roles: ['admin'] }, action: 'agent:tool_execute', resource: 'tool://file_read', operation: { name: 'read', args: { path: '../../../etc/passwd' }, gateOnly: true } }),
      await run('cost: budget overrun', { subject: { identifier: 'user-123', attributes: { team_id: 'team-platform' } }, action: 'agent:model_invoke', resource: 'model://gpt-4o-mini', estimatedCost: 150 }),
      await run('compliance: PHI export', {
        subject: { identifier: 'dr-lee', roles: ['analyst'], attributes: { hipaa_training: true } },
        action: 'data:export', resource: 'dataset://phi/records', context: { medical_necessity_documented: true },
      }, approveAsAlice),
      await run('approvals: production change', { subject: { identifier: 'dev-1', roles: ['developer'] }, action: 'data:write', resource: 'dataset://production/orders', context: { environment: 'development' } }, approveAsAlice),
    ]);

    if (config.rollout) {
      await setRollout(100);
      const acme = { identifier: 'ann', roles: ['analyst'], tags: { tenant_id: 'acme' } };
      table('Tenant isolation (preset:tenant-isolation, the rollout\'s strict set at 100%)', [
        await run('cross-tenant read', { subject: acme, action: 'data:read', resource: 'dataset://globex/customers' }),
        await run('same-tenant create', { subject: acme, action: 'data:create', resource: 'dataset://acme/q4_forecast' }),
        await run('create outside the tenant', { subject: acme, action: 'data:create', resource: 'files://acme/forecast' }),
      ]);
      await setRollout(50);
      const rows: Row[] = [];
      for (let i = 0; i < 6; i++) rows.push(await run(`rollout op ${i + 1}`, { subject: { identifier: 'ann', roles: ['analyst'], tags: { tenant_id: 'acme' } }, action: 'data:read', resource: 'dataset://public/sales' }));
      table('A rollout at 50%: a stable hash of each operation id picks the set', rows);
    }

    // What-if: the decisions just made, replayed against a stricter candidate.
    const candidate = new PolicyEngine(loadPolicySet(patterns.presetPath('security-hardening')));
    const report = whatIf(candidate, await trail.query({ type: 'policy_decision', since: started }));
    console.log(`\npolicy diff against ${report.candidate.name}@${report.candidate.version} (\`tollgate policy diff\`): ${report.replayed} decisions replayed, ${report.same} unchanged, ${report.changed.length} changed, ${report.cannotReplay.length} cannot replay`);
    for (const pair of report.byRulePair) console.log(`  ${String(pair.count).padStart(3)}  ${pair.from.effect} by ${pair.from.rule ?? 'default'}  →  ${pair.to.effect} by ${pair.to.rule ?? 'default'}`);
    console.log('\nThe audit trail holds every step: `npx tollgate audit query --since 10m`, and `npx tollgate audit verify`.');
  } finally {
    if (config.rollout) await writeRolloutSetting(store.pool, rolloutAtStart, 'demo');
    await client.close();
    await store.close();
  }
}

main().catch((error: Error) => {
  console.error(`demo failed: ${error.message}${/ECONNREFUSED|cannot reach|not running/.test(error.message) ? ' (is `npm start` running in another terminal?)' : ''}`);
  process.exitCode = 1;
});
