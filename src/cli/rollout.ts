import type { Command } from 'commander';
import { AuditTrail, openAuditTrail, rolloutChangedEntry } from '../audit/index.js';
import { DURATION_HINT, parseDuration } from '../duration.js';
import { TollgateInputError } from '../errors.js';
import { readRolloutSetting, writeRolloutSetting } from '../patterns/rolloutState.js';
import { describeSide, summariseDivergences } from '../patterns/shadow.js';
import { loadPoliciesInForce } from '../service/worker.js';
import { printJson } from './io.js';
import { cliActor, withStore } from './context.js';

const percentage = (value: string) => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 100) throw new TollgateInputError(`PERCENTAGE: expected a number from 0 to 100, got "${value}"`, 'percentage');
  return parsed;
};

const since = (value: string) => {
  try {
    return parseDuration(value);
  } catch {
    throw new TollgateInputError(`--since: expected ${DURATION_HINT}, got "${value}"`, '--since');
  }
};

export function registerRolloutCommands(program: Command): void {
  const rollout = program.command('rollout').description('gradual rollout of a stricter policy set, and shadow evaluation of a candidate');

  rollout.command('set')
    .description('the share of operations the strict set decides; running workers pick it up within seconds')
    .argument('<percentage>', '0 to 100', percentage)
    .action(async (value: number, _options, command: Command) => {
      await withStore(command, async (store, config) => {
        if (!config.rollout) throw new TollgateInputError(`${config.source ?? 'config'}: rollout: not configured; add rollout: { strict: FILE, permissive: FILE, percentage: N }`, 'rollout');
        const previous = (await readRolloutSetting(store.pool))?.percentage ?? config.rollout.percentage;
        const setting = await writeRolloutSetting(store.pool, value, cliActor());
        await openAuditTrail(store.pool, config).trail.append([rolloutChangedEntry({ percentage: setting.percentage, previous, at: setting.updatedAt }, cliActor())]);
        console.log(`rollout: ${previous}% → ${setting.percentage}% of operations decided by the strict set`);
      });
    });

  rollout.command('status')
    .description('the sets in force, their versions, and the percentage')
    .option('--json', 'print one JSON document')
    .action(async (options, command: Command) => {
      await withStore(command, async (store, config) => {
        const setting = await readRolloutSetting(store.pool);
        const percentageInForce = setting?.percentage ?? config.rollout?.percentage ?? null;
        const sets = loadPoliciesInForce(config).describe();
        const status = { rollout: Boolean(config.rollout), percentage: config.rollout ? percentageInForce : null, setBy: setting ? { by: setting.updatedBy, at: setting.updatedAt } : null, sets };
        if (options.json) return printJson(status);
        if (config.rollout) console.log(`rollout: ${percentageInForce}% strict${setting ? ` (set by ${setting.updatedBy} at ${setting.updatedAt.toISOString()})` : ' (from config)'}`);
        else console.log('no rollout configured: one enforced set');
        for (const set of sets) console.log(`  ${set.role.padEnd(10)} ${set.name}@${set.version}  ${set.file}`);
      });
    });

  rollout.command('diff')
    .description('what the shadow set would have decided differently, by rule pair, from the audit trail')
    .option('--since <duration>', 'how far back, e.g. 24h', since, 24 * 3_600_000)
    .option('--json', 'print one JSON document')
    .action(async (options, command: Command) => {
      await withStore(command, async (store) => {
        const entries = await new AuditTrail(store.pool).query({ type: 'policy_shadow_divergence', since: new Date(Date.now() - options.since) });
        const groups = summariseDivergences(entries);
        if (options.json) return printJson({ divergences: entries.length, groups });
        if (!groups.length) return console.log('no divergences: the shadow set agreed with every decision');
        for (const group of groups) {
          console.log(`${String(group.count).padStart(6)}  ${describeSide(group.enforced)}  →  shadow: ${describeSide(group.shadow)}`);
          for (const example of group.examples) console.log(`          e.g. ${example.operationId}  ${example.actor}  ${example.action}  ${example.resource}`);
        }
        console.log(`${entries.length} divergences in ${groups.length} rule pairs`);
      });
    });
}
