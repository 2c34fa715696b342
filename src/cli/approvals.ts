import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { formatDuration, parseDuration, DURATION_HINT } from '../duration.js';
import { TollgateInputError } from '../errors.js';
import { decideOperation } from '../client/decide.js';
import { DecisionRefusedError } from '../client/errors.js';
import type { GrantRequest } from '../operation/schema.js';
import { CliExit, EXIT, printJson } from './io.js';
import { configOf, withClient } from './context.js';

const duration = (flag: string) => (value: string) => {
  try {
    parseDuration(value);
    return value;
  } catch {
    throw new TollgateInputError(`${flag}: expected ${DURATION_HINT}, got "${value}"`, flag);
  }
};

const positiveInteger = (flag: string) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new TollgateInputError(`${flag}: expected a whole number ≥ 1, got "${value}"`, flag);
  return parsed;
};

/** The identity is the token's, never a flag: TOLLGATE_TOKEN, or --token-file. */
function readToken(options: { tokenFile?: string }): string {
  if (options.tokenFile) {
    try {
      const token = readFileSync(options.tokenFile, 'utf8').trim();
      if (token) return token;
    } catch {
      throw new TollgateInputError(`--token-file: cannot read ${options.tokenFile}`, '--token-file');
    }
    throw new TollgateInputError(`--token-file: ${options.tokenFile} is empty`, '--token-file');
  }
  const token = process.env.TOLLGATE_TOKEN?.trim();
  if (!token) throw new TollgateInputError('TOLLGATE_TOKEN is not set: deciding needs your approver token (`tollgate approvers token create IDENT`, or --token-file FILE)', 'TOLLGATE_TOKEN');
  return token;
}

function registerDecision(approvals: Command, verb: 'approve' | 'reject'): void {
  const command = approvals.command(verb)
    .description(`${verb} an operation waiting for approval, as the owner of your approver token (the service and the workflow check your authority)`)
    .argument('<id>', 'operation id')
    .option('--note <text>', verb === 'reject' ? 'reason for the rejection' : 'note for the audit trail')
    .option('--token-file <file>', 'read the approver token from a file instead of TOLLGATE_TOKEN')
    .option('--json', 'print one JSON document');
  if (verb === 'approve') {
    command
      .option('--grant <duration>', 'approve, and let the same requester do the same for this long without asking (rules with metadata.grantable)', duration('--grant'))
      .option('--scope <glob>', 'with --grant: the resources it covers (default: exactly this resource)')
      .option('--uses <n>', 'with --grant: how many operations it may approve (default: the rule\'s maxUses)', positiveInteger('--uses'));
  }
  command.action(async (id: string, options, cmd: Command) => {
    if ((options.scope || options.uses) && !options.grant) throw new TollgateInputError('--scope and --uses go with --grant DURATION', options.scope ? '--scope' : '--uses');
    const grant: GrantRequest | undefined = options.grant ? { ttl: options.grant, ...(options.scope ? { scope: options.scope } : {}), ...(options.uses ? { uses: options.uses } : {}) } : undefined;
    try {
      const result = await decideOperation(configOf(cmd), id, verb, { token: readToken(options), note: options.note, grant });
      if (options.json) printJson(result);
      else {
        console.log(`${id}: ${result.reason} (${result.approvals.have} of ${result.approvals.need} approvals)`);
        if (result.grant) console.log(`grant ${result.grant.id}: ${result.grant.scope} until ${result.grant.expiresAt}, ${result.grant.uses} uses`);
      }
    } catch (error) {
      if (!(error instanceof DecisionRefusedError)) throw error;
      if (options.json) printJson({ counted: false, status: error.httpStatus, error: error.message });
      throw new CliExit(EXIT.outcome, `${id}: not counted: ${error.message}`);
    }
  });
}

export function registerApprovalCommands(program: Command): void {
  const approvals = program.command('approvals').description('find and decide operations waiting for approval');
  approvals.command('list')
    .description('operations waiting for approval, oldest first (a Temporal visibility query)')
    .option('--stuck-for <duration>', 'only those waiting longer than this, e.g. 1h', (value: string) => parseDuration(duration('--stuck-for')(value)))
    .option('--json', 'print one JSON document')
    .action(async (options, command: Command) => {
      await withClient(command, async (client) => {
        const pending = await client.listApprovals({ stuckForMs: options.stuckFor });
        if (options.json) return printJson(pending);
        if (pending.length === 0) return console.log('no operations waiting for approval');
        for (const item of pending) {
          const waited = item.waitingMs === null ? '?' : formatDuration(Math.max(0, Math.round(item.waitingMs / 1000)) * 1000);
          console.log(`${item.id}  ${item.requester}  ${item.action}  ${item.resource}  rule=${item.rule ?? '-'}  waiting ${waited}`);
        }
        console.log(`${pending.length} waiting`);
      });
    });
  registerDecision(approvals, 'approve');
  registerDecision(approvals, 'reject');
}
