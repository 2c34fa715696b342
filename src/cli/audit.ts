import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import {
  AUDIT_ENTRY_TYPES, AuditTrail, verifyJsonl, type AuditEntry, type ChainVerification,
} from '../audit/index.js';
import { DURATION_HINT, isDuration, parseDuration } from '../duration.js';
import { InfrastructureUnavailableError, TollgateInputError } from '../errors.js';
import { isUnreachable, redactUrl } from '../store/connect.js';
import { openStore } from '../store/store.js';
import { didYouMean } from '../suggest.js';
import { configOf } from './context.js';
import { CliExit, EXIT, printJson } from './io.js';

/** Open the configured store, hand `work` an audit trail over it, close the store after. */
export async function withAuditTrail<T>(command: Command, work: (trail: AuditTrail) => Promise<T>): Promise<T> {
  const store = await openStore(configOf(command));
  try {
    return await work(new AuditTrail(store.pool));
  } catch (error) {
    if (isUnreachable(error)) {
      throw new InfrastructureUnavailableError(`database at ${redactUrl(store.url)} stopped answering: ${(error as Error).message}`, { cause: error });
    }
    throw error;
  } finally {
    await store.close();
  }
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** `--since`/`--until`: an ISO time, or a duration meaning that long ago. */
export const pointInTime = (flag: string) => (value: string): Date => {
  const trimmed = value.trim();
  if (isDuration(trimmed)) return new Date(Date.now() - parseDuration(trimmed));
  const time = ISO_TIME.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new TollgateInputError(`${flag}: expected an ISO time such as "2025-03-01T00:00:00Z" or ${DURATION_HINT}, got "${value}"`, flag);
  }
  return new Date(time);
};

const positiveInteger = (flag: string) => (value: string): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new TollgateInputError(`${flag}: expected a positive integer, got "${value}"`, flag);
  return parsed;
};

const entryType = (value: string): string => {
  if ((AUDIT_ENTRY_TYPES as readonly string[]).includes(value)) return value;
  throw new TollgateInputError(`--type: unknown entry type "${value}"${didYouMean(value, AUDIT_ENTRY_TYPES)} (one of ${AUDIT_ENTRY_TYPES.join(', ')})`, '--type');
};

export function formatEntries(entries: readonly AuditEntry[]): string {
  const header = ['seq', 'at', 'type', 'operation', 'actor', 'outcome', 'rule', 'action', 'resource'];
  const rows = entries.map((e) => [String(e.seq), e.at, e.type, e.operationId ?? '-', e.actor ?? '-', e.outcome ?? '-', e.rule ?? '-', e.action ?? '-', e.resource ?? '-']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/** One line on the state of a chain (or an export of one). */
export function formatVerification(result: ChainVerification, what = 'audit chain'): string {
  if (result.firstBroken) {
    const where = result.firstBroken.line === undefined ? '' : ` (line ${result.firstBroken.line})`;
    return `${what} BROKEN at entry ${result.firstBroken.seq}${where}: ${result.firstBroken.reason} [${result.entries} entries read]`;
  }
  if (!result.last) return `${what} ok: empty`;
  const from = result.first && result.first.seq !== 1 ? `entries ${result.first.seq}..${result.last.seq} (${result.entries})` : `${result.entries} entries`;
  return `${what} ok: ${from}, last ${result.last.seq} hash ${result.last.hash}`;
}

function report(result: ChainVerification, json: boolean | undefined, what?: string): void {
  if (json) printJson(result);
  else if (result.ok) console.log(formatVerification(result, what));
  if (!result.ok) throw new CliExit(EXIT.outcome, json ? '' : formatVerification(result, what));
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit trail: query, verify, export');

  audit.command('query')
    .description('entries matching every filter, oldest first (the latest --limit of them)')
    .option('--operation <id>', 'one operation (workflow id)')
    .option('--type <type>', `entry type (${AUDIT_ENTRY_TYPES.join(', ')})`, entryType)
    .option('--actor <id>', 'who acted (subject, approver)')
    .option('--since <time>', 'ISO time, or a duration ago such as 24h', pointInTime('--since'))
    .option('--until <time>', 'ISO time, or a duration ago', pointInTime('--until'))
    .option('--limit <n>', 'at most this many, the latest (default 100)', positiveInteger('--limit'), 100)
    .option('--json', 'print one JSON document')
    .action(async (options, command: Command) => {
      const entries = await withAuditTrail(command, (trail) => trail.query({
        operationId: options.operation, type: options.type, actor: options.actor, since: options.since, until: options.until, limit: options.limit,
      }));
      if (options.json) printJson(entries);
      else console.log(entries.length === 0 ? 'no audit entries match' : formatEntries(entries));
    });

  audit.command('verify')
    .description('recompute every hash and link; exit 0 intact, 1 broken (saying where)')
    .option('--file <jsonl>', 'verify an export offline instead of the database')
    .option('--json', 'print one JSON document')
    .action(async (options, command: Command) => {
      if (options.file) {
        let text: string;
        try {
          text = await readFile(options.file, 'utf8');
        } catch {
          throw new TollgateInputError(`--file: cannot read ${options.file}`, '--file');
        }
        report(verifyJsonl(text), options.json, options.file);
        return;
      }
      report(await withAuditTrail(command, (trail) => trail.verify()), options.json);
    });

  audit.command('export')
    .description('write a contiguous slice of the chain as JSONL, verifiable offline with `audit verify --file`')
    .option('--out <file>', 'write here instead of stdout')
    .option('--since <time>', 'from the first entry at or after: ISO time, or a duration ago', pointInTime('--since'))
    .option('--until <time>', 'to the last entry at or before: ISO time, or a duration ago', pointInTime('--until'))
    .action(async (options, command: Command) => {
      const filter = { since: options.since, until: options.until };
      if (!options.out) {
        await withAuditTrail(command, (trail) => trail.exportJsonl(process.stdout, filter));
        return;
      }
      const out = createWriteStream(options.out);
      const opened = new Promise<void>((resolve, reject) => {
        out.once('open', () => resolve());
        out.once('error', (error) => reject(new TollgateInputError(`--out: cannot write ${options.out}: ${error.message}`, '--out')));
      });
      await opened;
      const result = await withAuditTrail(command, (trail) => trail.exportJsonl(out, filter)).finally(() => out.end());
      await finished(out);
      console.log(result.entries === 0
        ? `exported 0 entries to ${options.out}`
        : `exported ${result.entries} entries (${result.firstSeq}..${result.lastSeq}) to ${options.out}`);
    });
}
