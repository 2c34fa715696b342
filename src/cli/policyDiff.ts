import type { Command } from 'commander';
import { DURATION_HINT, isDuration, parseDuration } from '../duration.js';
import { TollgateInputError } from '../errors.js';
import type { WhatIfReport } from '../patterns/whatIf.js';
import { PolicyEngine } from '../policy/engine.js';
import { loadPolicySet } from '../policy/load.js';
import { CliExit, EXIT, printJson } from './io.js';

/** `--since 7d` or an ISO time. */
const pointInTime = (flag: string) => (value: string): Date => {
  if (isDuration(value)) return new Date(Date.now() - parseDuration(value));
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw new TollgateInputError(`${flag}: expected ${DURATION_HINT} ago, or an ISO time such as 2026-11-30T00:00:00Z, got "${value}"`, flag);
  return at;
};

const side = (s: { effect: string; rule: string | null }) => `${s.effect} by ${s.rule ?? 'default effect'}`;

function printReport(report: WhatIfReport): void {
  console.log(`replayed ${report.replayed} recorded decisions against ${report.candidate.name}@${report.candidate.version}: ${report.same} unchanged, ${report.changed.length} changed, ${report.cannotReplay.length} cannot replay`);
  for (const pair of report.byRulePair) console.log(`${String(pair.count).padStart(6)}  ${side(pair.from)}  →  ${side(pair.to)}`);
  for (const change of report.changed) {
    const r = change.recorded;
    console.log(`  changed  ${r.operationId}  ${r.actor}  ${r.action}  ${r.resource}: ${side(r)} → ${side(change.candidate)}`);
  }
  for (const blocked of report.cannotReplay) console.log(`  cannot replay  ${blocked.recorded.operationId}: ${blocked.reason}`);
}

/** `tollgate policy diff`: registered under the `policy` command. */
export function registerPolicyDiffCommand(policy: Command): void {
  policy.command('diff')
    .description('replay the requests recorded in the audit trail against a candidate set: exit 0 when no decision changes, 1 when one does')
    .argument('<candidate>', 'the candidate policy set (YAML or JSON)')
    .option('--since <when>', 'from (a duration ago, e.g. 7d, or an ISO time); default 7d', pointInTime('--since'))
    .option('--until <when>', 'to (a duration ago or an ISO time); default now', pointInTime('--until'))
    .option('--json', 'print one JSON document')
    .action(async (candidate: string, options, command: Command) => {
      const engine = new PolicyEngine(loadPolicySet(candidate));
      // The audit trail and the replay are this command's alone: imported when it runs.
      const [{ AuditTrail }, { whatIf }, { withStore }] = await Promise.all([import('../audit/index.js'), import('../patterns/whatIf.js'), import('./context.js')]);
      await withStore(command, async (store) => {
        const entries = await new AuditTrail(store.pool).query({
          type: 'policy_decision', since: options.since ?? new Date(Date.now() - parseDuration('7d')), ...(options.until ? { until: options.until } : {}),
        });
        const report = whatIf(engine, entries);
        if (options.json) printJson(report);
        else printReport(report);
        if (report.changed.length) throw new CliExit(EXIT.outcome);
      });
    });
}
