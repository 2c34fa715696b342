import type { Command } from 'commander';
import { formatDuration, parseDuration, DURATION_HINT } from '../duration.js';
import { TollgateInputError } from '../errors.js';
import { CliExit, EXIT, printJson } from './io.js';
import { withClient } from './context.js';
import { describeStatus } from './operations.js';

const duration = (value: string) => {
  try {
    return parseDuration(value);
  } catch {
    throw new TollgateInputError(`--stuck-for: expected ${DURATION_HINT}, got "${value}"`, '--stuck-for');
  }
};

function registerDecision(approvals: Command, verb: 'approve' | 'reject'): void {
  approvals.command(verb)
    .description(`${verb} an operation waiting for approval (the workflow re-checks your authority)`)
    .argument('<id>', 'operation id')
    .requiredOption('--as <approver>', 'your approver identifier from the approvers directory')
    .option('--note <text>', verb === 'reject' ? 'reason for the rejection' : 'note for the audit trail')
    .option('--json', 'print one JSON document')
    .action(async (id: string, options, command: Command) => {
      await withClient(command, async (client) => {
        const view = await (verb === 'approve' ? client.approve(id, options.as, options.note) : client.reject(id, options.as, options.note));
        if (options.json) printJson(view);
        else console.log(describeStatus(view));
        const refused = view.approval?.refused.filter((r) => r.approver.identifier === options.as).at(-1);
        const counted = view.approval?.votes.some((v) => v.approver.identifier === options.as);
        if (refused && !counted) throw new CliExit(EXIT.outcome, `vote not counted: ${refused.reason}`);
      });
    });
}

export function registerApprovalCommands(program: Command): void {
  const approvals = program.command('approvals').description('find and decide operations waiting for approval');
  approvals.command('list')
    .description('operations waiting for approval, oldest first (a Temporal visibility query)')
    .option('--stuck-for <duration>', 'only those waiting longer than this, e.g. 1h', duration)
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
