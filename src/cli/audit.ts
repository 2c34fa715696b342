import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import {
  AUDIT_ENTRY_TYPES, AUDIT_KEY_ENV, AUDIT_PUBLIC_KEY_ENV, AuditTrail, auditKeyFile, defaultAnchorDir, fileAnchorSink, loadAuditKey, parseAuditPublicKey, readAnchors, verifyJsonl,
  type AuditEntry, type AuditVerifyOptions, type ChainVerification,
} from '../audit/index.js';
import type { TollgateConfig } from '../config.js';
import { DURATION_HINT, isDuration, parseDuration } from '../duration.js';
import { InfrastructureUnavailableError, TollgateInputError } from '../errors.js';
import { isUnreachable, redactUrl } from '../store/connect.js';
import { openStore } from '../store/store.js';
import { didYouMean } from '../suggest.js';
import { configOf } from './context.js';
import { CliExit, EXIT, printJson } from './io.js';

/**
 * Open the configured store, hand `work` an audit trail over it (with the audit key when one is
 * configured, and the default anchor directory), close the store after.
 */
export async function withAuditTrail<T>(command: Command, work: (trail: AuditTrail, config: TollgateConfig) => Promise<T>): Promise<T> {
  const config = configOf(command);
  const key = loadAuditKey(config.baseDir);
  const store = await openStore(config);
  try {
    return await work(new AuditTrail(store.pool, { key, anchors: [fileAnchorSink(defaultAnchorDir(config.baseDir))] }), config);
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

/** What the signatures and anchors add to an intact chain's line. */
function signatureSummary(result: ChainVerification): string[] {
  const parts: string[] = [];
  const signatures = result.signatures;
  if (signatures) {
    const tail = signatures.tail;
    if (!signatures.checked) {
      parts.push(`signatures not checked (no public key: set ${AUDIT_PUBLIC_KEY_ENV} or pass --public-key)`);
      if (tail) parts.push(`unsigned tail: entries ${tail.from}..${tail.to} after the last checkpoint`);
    } else {
      const last = signatures.lastCheckpoint ? `, the last at ${signatures.lastCheckpoint.seq}` : '';
      parts.push(`${signatures.checkpoints} checkpoint${signatures.checkpoints === 1 ? '' : 's'} signed by audit key ${signatures.keyId}${last}`);
      if (tail) parts.push(`${tail.entries} entr${tail.entries === 1 ? 'y' : 'ies'} ${signatures.lastCheckpoint ? 'after it ' : ''}(${tail.from}..${tail.to}) signed one by one`);
    }
  }
  const anchors = result.anchors;
  if (anchors) {
    const reached = anchors.lastSeq === undefined ? 'none yet' : `up to ${anchors.lastSeq}`;
    parts.push(`anchors in ${anchors.source}: ${anchors.read} read, ${reached}${anchors.pending > 0 ? `, ${anchors.pending} checkpoint${anchors.pending === 1 ? '' : 's'} not anchored yet` : ''}`);
  }
  return parts;
}

/** One line on the state of a chain (or an export of one). */
export function formatVerification(result: ChainVerification, what = 'audit chain'): string {
  if (result.firstBroken) {
    const where = result.firstBroken.line === undefined ? '' : ` (line ${result.firstBroken.line})`;
    return `${what} BROKEN at entry ${result.firstBroken.seq}${where}: ${result.firstBroken.reason} [${result.entries} entries read]`;
  }
  if (!result.last) return [`${what} ok: empty`, ...signatureSummary(result)].join('; ');
  const from = result.first && result.first.seq !== 1 ? `entries ${result.first.seq}..${result.last.seq} (${result.entries})` : `${result.entries} entries`;
  return [`${what} ok: ${from}, last ${result.last.seq} hash ${result.last.hash}`, ...signatureSummary(result)].join('; ');
}

/**
 * `--public-key` when given, else the configured audit key's public half. An auditor who does not
 * trust the machine should pass the key they were given: the configured one may sit on the same
 * machine as the database.
 */
export function verifyingKey(flag: string | undefined, config: TollgateConfig): KeyObject | undefined {
  if (flag !== undefined) return parseAuditPublicKey(flag);
  return loadAuditKey(config.baseDir)?.publicKey;
}

/** `--anchors DIR`, else the default directory when it exists. Read before the chain, so no anchor is newer than it. */
export function anchorsFor(flag: string | undefined, config: TollgateConfig): AuditVerifyOptions['anchors'] {
  const source = flag ?? defaultAnchorDir(config.baseDir);
  if (flag === undefined && !existsSync(source)) return undefined;
  return { source, checkpoints: readAnchors(source) };
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
    .description('check every hash and link, the signed checkpoints, the anchors and the signatures after the last checkpoint; '
      + 'exit 0 intact, 1 broken (naming the first entry changed, or the anchor the chain no longer reaches)')
    .option('--anchors <dir>', 'anchor files (default .tollgate/audit-anchors beside the config, when it exists)')
    .option('--public-key <key>', 'the audit public key, base64 or PEM, or @file (default: the configured audit key)')
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
        const publicKey = options.publicKey !== undefined ? parseAuditPublicKey(options.publicKey) : undefined;
        report(await verifyJsonl(text, { publicKey }), options.json, options.file);
        return;
      }
      const config = configOf(command);
      const publicKey = verifyingKey(options.publicKey, config);
      const anchors = anchorsFor(options.anchors, config);
      report(await withAuditTrail(command, (trail) => trail.verify({ publicKey, anchors })), options.json);
    });

  audit.command('checkpoint')
    .description('sign a checkpoint of the chain now and copy pending checkpoints to the anchor directory (the service does both periodically)')
    .action(async (_options, command: Command) => {
      const line = await withAuditTrail(command, async (trail, config) => {
        if (!trail.signing) {
          throw new TollgateInputError(`no audit private key: set ${AUDIT_KEY_ENV} or create ${auditKeyFile(config.baseDir)} (\`tollgate start\` does)`, AUDIT_KEY_ENV);
        }
        const checkpoint = await trail.checkpoint();
        await trail.anchor();
        if (checkpoint) return `checkpoint ${checkpoint.seq} hash ${checkpoint.hash} signed by ${checkpoint.keyId}, anchored in ${defaultAnchorDir(config.baseDir)}`;
        const [head, last] = [await trail.head(), (await trail.checkpoints()).at(-1)];
        // The trail will not vouch for entries it cannot show are the service's.
        if (head.seq > (last?.seq ?? 0)) {
          throw new CliExit(EXIT.outcome, `no checkpoint written: entries after ${last?.seq ?? 0} are not all signed by the audit key; run \`tollgate audit verify\``);
        }
        return 'nothing new since the last checkpoint';
      });
      console.log(line);
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
